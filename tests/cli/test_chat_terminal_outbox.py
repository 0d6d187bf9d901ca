"""``tongguan chat`` prints the messages queued for its user, then marks them delivered."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from asyncio.subprocess import PIPE
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from bot.assembly import open_hub
from bot.config import Settings
from bot.db.models import OutboxMessage
from bot.messages import Reply
from tests.conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]


def env(settings: Settings) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "TONGGUAN_LOG_LEVEL": "ERROR",
            "TONGGUAN_DATABASE_URL": settings.database_url,
            "TONGGUAN_SECRET_KEY": TEST_SECRET, "TONGGUAN_KEYS_DIR": str(settings.keys_dir)}


def chat(settings: Settings, user: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", "chat", "--user", user],
                          cwd=ROOT, env=env(settings), input=stdin, capture_output=True,
                          text=True, timeout=300)


async def statuses(settings: Settings) -> dict[str, str]:
    async with open_hub(settings, with_dialogue=False) as hub, hub.db.sessions() as s:
        rows = await s.execute(sa.select(OutboxMessage.dedupe_key, OutboxMessage.status))
        return {key: status for key, status in rows.all()}


async def test_queued_messages_are_printed_and_marked_delivered(settings: Settings) -> None:
    async with open_hub(settings, with_dialogue=False) as hub:
        now = hub.clock.now()
        await hub.outbox.enqueue(channel="terminal", user_id="resident-7", dedupe_key="due",
                                 replies=[Reply.say("开奖结果：您已中签，请于明天前取货。")])
        await hub.outbox.enqueue(channel="terminal", user_id="resident-7", dedupe_key="link",
                                 replies=[Reply(type="link", text="取货码", url="/pickup/AB12")])
        await hub.outbox.enqueue(channel="terminal", user_id="resident-7", dedupe_key="later",
                                 replies=[Reply.say("明天的提醒")],
                                 due_at=now + timedelta(hours=3))
        await hub.outbox.enqueue(channel="terminal", user_id="someone-else", dedupe_key="other",
                                 replies=[Reply.say("别人的消息")])
        await hub.outbox.enqueue(channel="web", user_id="resident-7", dedupe_key="web",
                                 replies=[Reply.say("网页用户的消息")])

    # The screening flow is for community workers: an administrator grants the role.
    granted = subprocess.run([sys.executable, "-m", "bot.cli", "roles", "grant",
                              "terminal:resident-7", "community_worker"], cwd=ROOT,
                             env=env(settings), capture_output=True, text=True, timeout=300)
    assert granted.returncode == 0, granted.stderr
    result = chat(settings, "resident-7", "楼栋排查\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "📨 开奖结果：您已中签，请于明天前取货。" in out
    assert "📨 取货码\n/pickup/AB12" in out
    assert out.index("开奖结果") < out.index("在哪个区")  # shown before the first prompt
    assert "明天的提醒" not in out and "别人的消息" not in out and "网页用户的消息" not in out
    assert await statuses(settings) == {"due": "sent", "link": "sent", "later": "pending",
                                        "other": "pending", "web": "pending"}

    # Printed once: a later session does not show them again. One queued while the
    # chat waits for input is shown after the next turn.
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "chat", "--user", "resident-7", cwd=ROOT,
        env=env(settings), stdin=PIPE, stdout=PIPE, stderr=PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("江岸区\n花桥街一村社区\n3号楼\n".encode())
    await proc.stdin.drain()
    first = b""
    while "哪个单元" not in first.decode():  # a reply block per line typed
        first += await asyncio.wait_for(proc.stdout.readuntil(b"\n\n"), 120)
    async with open_hub(settings, with_dialogue=False) as hub:
        await hub.outbox.enqueue(channel="terminal", user_id="resident-7", dedupe_key="new",
                                 replies=[Reply.say("审核结果：通过")])
    proc.stdin.write("跳过\n".encode())
    proc.stdin.close()
    rest, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    out = (first + rest).decode()
    assert "开奖结果" not in out and out.count("审核结果：通过") == 1
    assert out.index("走访") < out.index("📨 审核结果：通过")
    assert (await statuses(settings))["new"] == "sent"
