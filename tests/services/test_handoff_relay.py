"""Handoff routing in the engine, on SQLite and PostgreSQL: a user who never asked for a
person costs no handoff query; one whose request is claimed talks to staff (text and a
shared location); a request closed by staff hands the user back to the bot; the district
of the running flow places the request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.assembly import open_hub
from bot.messages import Inbound, Location
from bot.services.handoffs import handoffs
from bot.services.handoffs.inbox import claim, close, conversation
from bot.services.staff import StaffPrincipal
from tests.conftest import make_settings

OPERATOR = StaffPrincipal(1, "op", "operator", None, None)


async def say(hub: Any, text: str, user: str = "u1") -> list[str]:
    replies = await hub.engine.handle(Inbound(channel="web", user_id=user, text=text))
    return [r.as_plain_text() for r in replies]


def handoff_statements(hub: Any) -> list[str]:
    """Every SQL statement naming the handoffs tables sent through SQLAlchemy from now on
    (the service's writes; its one chat-path read goes to the driver)."""
    seen: list[str] = []

    @sa.event.listens_for(hub.db.engine.sync_engine, "before_cursor_execute")
    def record(conn, cursor, statement, *rest):  # type: ignore[no-untyped-def]
        if "handoff" in statement:
            seen.append(statement)

    return seen


async def test_no_handoff_query_without_a_request(database_url: str, tmp_path: Path) -> None:
    async with open_hub(make_settings(database_url, tmp_path)) as hub:
        seen = handoff_statements(hub)
        h = handoffs(hub)
        reads: list[int] = []
        real_status = h.status

        async def status(handoff_id: int) -> str | None:  # the driver-level read
            reads.append(handoff_id)
            return await real_status(handoff_id)

        h.status = status  # type: ignore[method-assign]
        for text in ("你好", "健康申报", "取消", "帮助", "菜单"):
            await say(hub, text)
        assert seen == [] and reads == []
        await say(hub, "转人工")
        assert len(seen) >= 1 and reads == []  # the request is written
        await say(hub, "你好")  # with a request: one read a turn
        await say(hub, "取消")
        assert reads == [1, 1]


async def test_claimed_request_takes_text_and_location_then_closes(database_url: str,
                                                                  tmp_path: Path) -> None:
    async with open_hub(make_settings(database_url, tmp_path)) as hub:
        h = handoffs(hub)
        await say(hub, "健康申报")
        out = await say(hub, "转人工")
        assert any("编号 1" in o for o in out)
        assert await say(hub, "天气怎么样") != []  # open: the bot still answers
        await claim(h, OPERATOR, 1)
        assert await say(hub, "我发烧了怎么办") == []
        place = Location(30.6, 114.3, "江岸区")
        assert await hub.engine.handle(Inbound(channel="web", user_id="u1",
                                               kind="location", location=place)) == []
        thread = (await conversation(h, OPERATOR, 1))["messages"]
        assert [m.get("text") for m in thread[1:]] == ["我发烧了怎么办",
                                                       "📍 江岸区 (30.60000, 114.30000)"]
        assert await say(hub, "hello", user="u2") != []  # others are not affected
        await close(h, OPERATOR, 1)
        back = await say(hub, "取消")
        assert back and "已取消" in back[0]  # the bot again, where the user was
        async with hub.db.sessions() as session:
            assert await session.scalar(sa.text("SELECT count(*) FROM handoff_messages")) == 4


async def test_the_running_flows_district_places_the_request(database_url: str,
                                                             tmp_path: Path) -> None:
    async with open_hub(make_settings(database_url, tmp_path)) as hub:
        hub.engine.store  # noqa: B018 - the engine is built
        async with hub.engine.store.open("web:u9") as conv:
            from bot.dialogue.state import Frame

            conv.state.stack = [Frame("health_declaration",
                                      slots={"district": "jiangan"})]
        await say(hub, "转人工", user="u9")
        [row] = await handoffs(hub).list("open")
        async with hub.db.sessions() as session:
            district = await session.scalar(sa.text("SELECT district FROM handoffs"))
        assert row.user_key == "web:u9" and district == "jiangan"
