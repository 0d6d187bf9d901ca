"""Staff accounts, the one login of every staff page: web API, commands, demo accounts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from bot.hub import Hub
    from bot.web.keys import WebModule


def web() -> Sequence[WebModule]:
    from bot.web import staff_api

    return (staff_api,)


def cli(sub: argparse._SubParsersAction) -> None:
    from bot.cli import staff_cmds

    staff_cmds.register(sub)


async def demo(hub: Hub) -> str:
    from bot.services.staff import demo as staff_demo

    return await staff_demo.seed_demo(hub)
