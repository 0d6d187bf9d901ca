"""``tongguan chat``: a conversation in the terminal through the same engine.

On a terminal it prompts; when stdin is a pipe it reads one message per line and
prints the replies, so conversations can be scripted. Messages queued for the user in
the outbox (reminders, lottery outcomes) are printed before each prompt, marked 📨,
and acknowledged once printed.
"""

from __future__ import annotations

import asyncio
import sys

from bot.assembly import open_hub
from bot.config import Settings
from bot.db.migrate import upgrade
from bot.hub import Hub
from bot.messages import Inbound, Reply

QUEUED_MARK = "📨 "
QUEUED_BATCH = 20  #: messages fetched per outbox read


def render(reply: Reply) -> str:
    if reply.type == "image":
        return f"[image] {reply.text} {reply.url}".strip()
    return reply.as_plain_text()


async def show_queued(hub: Hub, user: str, *, interactive: bool) -> int:
    """Print the user's queued messages, acknowledging each batch once printed; returns
    how many were shown."""
    shown = 0
    while True:
        items = await hub.outbox.pull("terminal", user, limit=QUEUED_BATCH)
        for item in items:
            for reply in item.replies:
                print(QUEUED_MARK + render(reply))
            if not interactive:
                print()
        if items:
            sys.stdout.flush()
            await hub.outbox.acknowledge("terminal", user, max(i.id for i in items))
        shown += len(items)
        if len(items) < QUEUED_BATCH:
            return shown


async def run_terminal_chat(settings: Settings, *, user: str = "local",
                            lang: str | None = None) -> int:
    await asyncio.to_thread(upgrade, settings.database_url)
    interactive = sys.stdin.isatty()
    async with open_hub(settings) as hub:
        engine = hub.require_engine()
        if lang:
            await engine.handle(Inbound(channel="terminal", user_id=user,
                                        text="English" if lang == "en" else "中文"))
        if interactive:
            print("通管 Tongguan — 输入消息，Ctrl-D 退出 / type a message; Ctrl-D to leave.")
        loop = asyncio.get_running_loop()
        while True:
            await show_queued(hub, user, interactive=interactive)
            if interactive:
                print("> ", end="", flush=True)
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            replies = await engine.handle(Inbound(channel="terminal", user_id=user,
                                                  text=line.rstrip("\n")))
            for reply in replies:
                print(render(reply))
            if not interactive:
                print(flush=True)  # a script reading the replies gets each turn at once
    return 0
