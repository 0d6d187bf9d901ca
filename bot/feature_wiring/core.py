"""The core feature, the chat itself: its web modules, the staff-role commands and the
jobs following published flows, delivering the outbox and sampling the pool gauges."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from bot.hub import Hub
    from bot.web.keys import WebModule


def web() -> Sequence[WebModule]:
    from bot.web import chat_api, chat_page, health, metrics, openapi

    return (health, metrics, chat_api, chat_page, openapi)


async def watch_flows(hub: Hub) -> None:
    """Follow published flow versions (flows_poll_seconds) and edited flow files
    (flows_reload_seconds): docs/flows-studio.md."""
    from bot.dialogue.flows.published import follow

    await follow(hub)


async def deliver_outbox(hub: Hub) -> int:
    """Push queued messages to the channels that take pushes (until none is due); one
    worker per process, which remembers the channels it found down (their pause)."""
    from bot.services.outbox import OutboxWorker

    worker = hub.parts.setdefault(OutboxWorker, lambda: OutboxWorker(hub.outbox,
                                                                     hub.deliverers))
    return await worker.run_until_idle()


async def pool_gauges(hub: Hub) -> None:
    """This process's database connection gauges, for GET /metrics."""
    from bot.web.metrics import update_pool

    update_pool(hub)


def cli(sub: argparse._SubParsersAction) -> None:
    from bot.cli import roles_cmds

    roles_cmds.register(sub)
