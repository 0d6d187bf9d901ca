"""The WeChat Official Account channel: actions, the callback route, commands and the job
recovering turns cut off by a process that died."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from bot.actions import ActionRegistry
    from bot.hub import Hub
    from bot.web.keys import WebModule


def actions(registry: ActionRegistry, hub: Hub) -> None:
    from bot.channels.wechat import actions as wechat_actions

    wechat_actions.register_actions(registry, hub)


def web() -> Sequence[WebModule]:
    from bot.channels.wechat import web as wechat_web

    return (wechat_web,)


def cli(sub: argparse._SubParsersAction) -> None:
    from bot.cli import wechat_cmds

    wechat_cmds.register(sub)


async def recover(hub: Hub) -> int:
    """Turns cut off by a process that died after answering WeChat `success`."""
    from bot.channels.wechat import WechatChannel

    channel = hub.parts.get(WechatChannel)  # set while this process serves the channel
    return await channel.recover() if channel is not None else 0
