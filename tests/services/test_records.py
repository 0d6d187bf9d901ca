"""``records.save``: the record is written with its turn, once, or not at all."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import sqlalchemy as sa

from bot.assembly import open_hub
from bot.messages import Inbound
from tests.conftest import make_settings
from tests.roles_support import grant

UP_TO_CONFIRM = ["楼栋排查", "江岸区", "花桥街一村社区", "12号楼", "跳过", "十二", "30", "0",
                 "1", "跳过"]


async def _records(hub) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    async with hub.db.sessions() as session:
        rows = await session.execute(sa.text("SELECT id, flow_id FROM records ORDER BY id"))
        return [tuple(r) for r in rows]


async def test_a_record_is_written_once_when_its_turn_runs_again(database_url: str,
                                                                 tmp_path: Path):
    """Process 0 confirms on a copy that process 1 has moved on: the turn runs again,
    and exactly one record exists, the one whose number the user was told."""
    settings = make_settings(database_url, tmp_path)
    async with contextlib.AsyncExitStack() as stack:
        hubs = [await stack.enter_async_context(open_hub(settings)) for _ in range(2)]
        user = dict(channel="web", user_id="stale-confirm")
        await grant(hubs[0], "web:stale-confirm")  # a community worker: the flow is theirs
        for text in UP_TO_CONFIRM:
            await hubs[0].engine.handle(Inbound(**user, text=text))
        await hubs[1].engine.handle(Inbound(**user, text="帮助"))  # hub 0 is now stale
        replies = await hubs[0].engine.handle(Inbound(**user, text="确认"))
        told = int(re.search(r"编号 (\d+)", replies[-1].text).group(1))
        assert await _records(hubs[0]) == [(told, "community_screening")]


async def test_a_turn_that_fails_after_the_record_writes_no_record(database_url: str,
                                                                    tmp_path: Path):
    """The record rides with the turn's save: when a later action of the same turn
    fails, the flow stays where it was and no record is left behind."""
    from bot.actions import ActionResult
    from bot.errors import ActionError

    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "two.yml").write_text(
        "id: two\ntitle: {zh: 两步, en: Two}\nstart: {keywords: [两步]}\nsteps:\n"
        "  - collect: n\n    type: integer\n    prompt: {zh: '几个？', en: 'How many?'}\n"
        "  - action: records.save\n  - action: test.check\n"
        "  - say: {zh: '好 {record_id}', en: 'OK {record_id}'}\n", encoding="utf-8")
    settings = make_settings(database_url, tmp_path, flows_dir=flows)
    async with open_hub(settings) as hub:
        async def check(ctx):  # type: ignore[no-untyped-def]
            if ctx.slots["n"] > 5:
                raise ActionError("太多了", "Too many", code="too_many")
            return ActionResult()

        hub.actions.register("test.check", check)
        hub.flows.load()
        user = dict(channel="web", user_id="fails-later")
        await hub.engine.handle(Inbound(**user, text="两步"))
        replies = await hub.engine.handle(Inbound(**user, text="9"))
        assert replies[0].text == "太多了"
        assert await _records(hub) == []
        # Nothing half-written either: the same question is answered again, and this
        # time the record is there.
        await hub.engine.handle(Inbound(**user, text="两步"))
        replies = await hub.engine.handle(Inbound(**user, text="2"))
        told = int(replies[-1].text.split()[-1])
        assert await _records(hub) == [(told, "two")]


async def test_record_ids_continue_after_rows_written_before(database_url: str,
                                                            tmp_path: Path):
    """Ids come in blocks; the first block starts after the rows already there (say,
    written before an upgrade), and a second process gets a block of its own."""
    settings = make_settings(database_url, tmp_path)
    async with contextlib.AsyncExitStack() as stack:
        hubs = [await stack.enter_async_context(open_hub(settings)) for _ in range(2)]
        async with hubs[0].db.write() as session:
            await session.execute(sa.text(
                "INSERT INTO records (id, flow_id, user_key, lang, data, created_at) "
                "VALUES (7, 'old', 'web:x', 'zh', :data, :at)"),
                {"data": b"x", "at": hubs[0].clock.now()})
            if hubs[0].db.dialect == "postgresql":
                await session.execute(sa.text("SELECT setval('records_id_seq', 7)"))
        first = [await hubs[0].db.next_id("records") for _ in range(3)]
        other = await hubs[1].db.next_id("records")
    assert first == [8, 9, 10]
    assert other > 10 and other not in first
