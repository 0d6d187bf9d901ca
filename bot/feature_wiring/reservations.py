"""Supply reservations: actions, web module, commands, demo data, and the jobs sweeping
holds and releasing the day's supply."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from bot.actions import ActionRegistry
    from bot.hub import Hub
    from bot.web.keys import WebModule


def actions(registry: ActionRegistry, hub: Hub) -> None:
    from bot.services.reservations import actions as reservation_actions

    reservation_actions.register_actions(registry, hub)


def web() -> Sequence[WebModule]:
    from bot.web import reservations

    return (reservations,)


def cli(sub: argparse._SubParsersAction) -> None:
    from bot.cli import supply_cmds

    supply_cmds.register(sub)


async def demo(hub: Hub) -> str:
    from bot.services.reservations import demo as reservations_demo

    return await reservations_demo.seed_demo(hub)


async def sweep_supply(hub: Hub) -> dict[str, int]:
    """Expire unclaimed holds, queue pickup reminders, run due lottery draws."""
    from bot.services.reservations import supply_context, sweep_once

    return await sweep_once(supply_context(hub))


async def release_supply(hub: Hub) -> str:
    """The day's releases from capacity and stock (idempotent)."""
    from bot.services.reservations import compute_releases, supply_context

    ctx = supply_context(hub)
    reports = await compute_releases(ctx, ctx.rules.city_day(ctx.clock.now()))
    return " ".join(f"{r.product}={r.released}" for r in reports) or "no products"
