"""The engine against the real stores, on SQLite and PostgreSQL: the turn log, human
handoff, profile consent and reuse, and session tokens that expire."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from bot.assembly import open_hub
from bot.clock import FixedClock
from bot.db.models import Profile, Turn
from bot.messages import Inbound
from bot.web.app import init_app
from tests.conftest import ROOT, make_settings
from tests.roles_support import grant


def flows_with_profile(tmp_path: Path) -> Path:
    """The repo's flows plus the test flow that collects profile fields."""
    target = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", target)
    shutil.copy(ROOT / "tests" / "dialogue" / "flows" / "test_profile.yml", target)
    return target


async def say(hub, text: str, user: str = "u1") -> str:  # type: ignore[no-untyped-def]
    replies = await hub.engine.handle(Inbound(channel="web", user_id=user, text=text))
    return "\n".join(r.as_plain_text() for r in replies)


async def test_every_turn_is_logged_with_text_parse_and_replies(database_url: str,
                                                                tmp_path: Path):
    async with open_hub(make_settings(database_url, tmp_path)) as hub:
        await grant(hub, "web:u1")  # a community worker: the screening flow is theirs
        sent = ["你好", "楼栋排查", "武昌区", "中南路街", "12号楼"]
        for text in sent:
            await say(hub, text)
        turns = await hub.engine.store.recent_turns("web:u1")
        async with hub.db.sessions() as session:
            stored = (await session.scalars(sa.select(Turn.sealed))).all()
    assert [t.inbound["text"] for t in turns] == sent
    assert turns[0].parse["intent"]["name"] == "greet"  # what the NLU made of it
    assert "在哪个区" in turns[1].replies[0]["text"]
    assert "请输入楼栋号" in turns[3].replies[0]["text"]
    assert "哪个单元" in turns[4].replies[-1]["text"]
    assert len(stored) == 5 and not any(b"12\xe5\x8f\xb7" in bytes(d) for d in stored)


async def test_handoff_records_the_transcript(database_url: str, tmp_path: Path):
    async with open_hub(make_settings(database_url, tmp_path)) as hub:
        await grant(hub, "web:u1")  # a community worker: the screening flow is theirs
        for text in ["楼栋排查", "武昌区", "中南路街", "12号楼"]:
            await say(hub, text)
        out = await say(hub, "转人工")
        assert "已为您转接人工服务（编号 1）" in out and "哪个单元" in out  # flow goes on
        [request] = await hub.engine.parts.handoffs.list("open")
    assert request.user_key == "web:u1" and request.flow_id == "community_screening"
    texts = [t["in"].get("text") for t in request.transcript]
    assert texts == ["楼栋排查", "武昌区", "中南路街", "12号楼", "转人工"]


async def test_profile_kept_only_with_consent_and_offered_masked(database_url: str,
                                                                 tmp_path: Path):
    settings = make_settings(database_url, tmp_path, flows_dir=flows_with_profile(tmp_path))
    async with open_hub(settings) as hub:
        for text in ["测试资料", "张三明", "13812345678"]:
            out = await say(hub, text)
        assert "是否保存" in out
        await say(hub, "是")
        for text in ["测试资料", "李四", "13912345678", "不"]:  # another user declines
            await say(hub, text, user="u2")
    async with open_hub(settings) as hub:  # a restart: the profile is in the database
        out = await say(hub, "测试资料")
        assert "张*明" in out and "张三明" not in out
        out = await say(hub, "是")  # use the saved name; the phone is offered next
        assert "138****5678" in out and "13812345678" not in out
        declined = await say(hub, "测试资料", user="u2")
        assert "您的姓名" in declined  # nothing kept, nothing offered
        async with hub.db.sessions() as session:
            rows = (await session.scalars(sa.select(Profile))).all()
    assert len(rows) >= 1
    raw = b"".join(bytes(v) for r in rows for v in vars(r).values()
                   if isinstance(v, (bytes, bytearray, memoryview)))
    assert "张三明".encode() not in raw and b"13812345678" not in raw


async def test_an_expired_session_token_is_refused(database_url: str, tmp_path: Path,
                                                   aiohttp_client):  # type: ignore[no-untyped-def]
    clock = FixedClock(datetime(2020, 2, 10, tzinfo=UTC))
    settings = make_settings(database_url, tmp_path, session_days=1)
    client = await aiohttp_client(init_app(settings, clock=clock, background=False))
    token = (await (await client.post("/api/v1/sessions")).json())["token"]
    headers = {"Authorization": f"Bearer {token}"}
    resp = await client.post("/api/v1/chat", json={"text": "你好"}, headers=headers)
    assert resp.status == 200
    clock.advance(days=1, seconds=1)
    resp = await client.post("/api/v1/chat", json={"text": "你好"}, headers=headers)
    assert resp.status == 401
    assert (await resp.json())["error"] == "unauthorized"
