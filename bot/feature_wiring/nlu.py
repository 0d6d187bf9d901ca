"""The NLU tools: commands, the intent editor's API and pages, and the job retraining a
process on a newly saved intent set."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from bot.hub import Hub
    from bot.web.keys import WebModule


def cli(sub: argparse._SubParsersAction) -> None:
    from bot.cli import nlu_cmds

    nlu_cmds.register(sub)


def web() -> Sequence[WebModule]:
    from bot.web import nlu_api, nlu_pages

    return (nlu_api, nlu_pages)


async def poll(hub: Hub) -> None:
    """Retrain this process's builtin when a new intent set version was saved."""
    from bot.dialogue.nlu_live import poll as poll_intents

    await poll_intents(hub)
