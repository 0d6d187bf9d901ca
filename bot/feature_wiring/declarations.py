"""Health declarations and health codes: actions, code pages and API, commands, code
images, demo data, and the jobs reloading risk rules and sweeping old check-ins."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from bot.actions import ActionRegistry
    from bot.hub import Hub, MediaGetter
    from bot.web.keys import WebModule


def actions(registry: ActionRegistry, hub: Hub) -> None:
    from bot.services import declarations

    declarations.register_actions(registry, hub)


def web() -> Sequence[WebModule]:
    from bot.web import codes_api, codes_pages

    return (codes_pages, codes_api)


def cli(sub: argparse._SubParsersAction) -> None:
    from bot.cli import codes_cmds, declaration_cmds

    codes_cmds.register(sub)
    declaration_cmds.register(sub)


def code_images(hub: Hub) -> MediaGetter:
    from bot.services.declarations import code_image

    async def getter(url: str) -> bytes | None:
        return await code_image(hub, url)

    return getter


async def demo(hub: Hub) -> str:
    from bot.services import declarations_demo

    return await declarations_demo.seed_demo(hub)


async def watch_risk_rules(hub: Hub) -> None:
    """Reload risk_rules.yml as it changes (the last good version stays on a bad edit)."""
    from bot.services.declarations.watch import watch_rules

    await watch_rules(hub)


async def sweep_checkins(hub: Hub) -> int:
    """Delete venue check-ins older than 21 days."""
    from bot.services.declarations.checkins import sweep_checkins as sweep
    from bot.services.declarations.service import declarations

    return await sweep(declarations(hub))
