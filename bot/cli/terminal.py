"""``tongguan chat``: a conversation in the terminal through the same engine.

On a terminal it prompts; when stdin is a pipe it reads one message per line and
prints the replies, so conversations can be scripted.
"""

from __future__ import annotations

import asyncio
import sys

from bot.channels.messages import Inbound, Reply
from bot.config import Settings
from bot.db.migrate import upgrade
from bot.hub import open_hub


def render(reply: Reply) -> str:
    if reply.type == "image":
        return f"[image] {reply.text} {reply.url}".strip()
    return reply.as_plain_text()


async def run_terminal_chat(settings: Settings, *, user: str = "local",
                            lang: str | None = None) -> int:
    await asyncio.to_thread(upgrade, settings.database_url)
    interactive = sys.stdin.isatty()
    async with open_hub(settings) as hub:
        if lang:
            await hub.engine.handle(Inbound(channel="terminal", user_id=user,
                                            text="English" if lang == "en" else "中文"))
        if interactive:
            print("通管 Tongguan — type a message; Ctrl-D to leave.")
        loop = asyncio.get_running_loop()
        while True:
            if interactive:
                print("> ", end="", flush=True)
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            replies = await hub.engine.handle(Inbound(channel="terminal", user_id=user,
                                                      text=line.rstrip("\n")))
            for reply in replies:
                print(render(reply))
            if not interactive:
                print()
    return 0
