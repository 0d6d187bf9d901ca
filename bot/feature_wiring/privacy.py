"""Privacy (retention, a resident's data and deletion requests, seal-key rotation):
actions, commands and the daily retention job."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from bot.actions import ActionRegistry
    from bot.hub import Hub


def actions(registry: ActionRegistry, hub: Hub) -> None:
    from bot.services import privacy

    privacy.register_actions(registry, hub)


def cli(sub: argparse._SubParsersAction) -> None:
    from bot.cli import privacy_cmds

    privacy_cmds.register(sub)


async def run_retention(hub: Hub) -> object:
    """Delete or anonymise what is older than its retention.<kind>_days."""
    from bot.services.privacy.retention import run_retention as run

    report = await run(hub, trigger="job")
    return " ".join(f"{r.kind}={r.deleted + r.anonymised}" for r in report.results)
