"""Business-resumption filings: actions, web modules, commands, demo data and the job
reloading filing rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from bot.actions import ActionRegistry
    from bot.hub import Hub
    from bot.web.keys import WebModule


def actions(registry: ActionRegistry, hub: Hub) -> None:
    from bot.services import filings

    filings.register_actions(registry, hub)


def web() -> Sequence[WebModule]:
    from bot.web import filings_api, notice_pages, resumption_stats, review_pages

    return (filings_api, resumption_stats, review_pages, notice_pages)


def cli(sub: argparse._SubParsersAction) -> None:
    from bot.cli import filings_cmds

    filings_cmds.register(sub)


async def watch_filing_rules(hub: Hub) -> None:
    """Reload filing_rules.yml as it changes (the last good version stays on a bad edit)."""
    from bot.services.filings.watch import watch_rules

    await watch_rules(hub)


async def demo(hub: Hub) -> str:
    from bot.services.filings import demo as filings_demo

    return await filings_demo.seed_demo(hub)
