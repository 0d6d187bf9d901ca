"""The operations view (一网通管), counts by district and street, live: web modules,
commands and the job folding counted events into the daily counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from bot.hub import Hub
    from bot.web.keys import WebModule


def web() -> Sequence[WebModule]:
    from bot.web import ops_api, ops_pages

    return (ops_api, ops_pages)


def cli(sub: argparse._SubParsersAction) -> None:
    from bot.cli import ops_cmds

    ops_cmds.register(sub)


async def fold_ops(hub: Hub) -> int:
    """Fold counted events into the daily counts."""
    from bot.services.ops.fold import SETTLE_SECONDS, fold

    return await fold(hub, SETTLE_SECONDS)
