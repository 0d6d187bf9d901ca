"""Two messages of one user at once are serialized, across two server processes' worth
of hubs on one PostgreSQL database (no lost update)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path

import sqlalchemy as sa

from bot.assembly import open_hub
from bot.db.models import Conversation, Turn
from bot.messages import Inbound
from tests.conftest import make_settings
from tests.roles_support import grant


async def test_same_user_messages_serialize_across_hubs(postgres_url: str, tmp_path: Path):
    settings = make_settings(postgres_url, tmp_path)
    async with contextlib.AsyncExitStack() as stack:
        hubs = [await stack.enter_async_context(open_hub(settings)) for _ in range(2)]
        user = dict(channel="web", user_id="same-user")
        await grant(hubs[0], "web:same-user")  # a community worker: the flow is theirs
        for i, text in enumerate(["楼栋排查", "江岸区", "花桥街一村社区", "9号楼", "跳过"]):
            await hubs[i % 2].engine.handle(Inbound(**user, text=text))
        # Four integer answers in a row, sent all at once through both hubs.
        answers = [hubs[i % 2].engine.handle(Inbound(**user, text=str(n)))
                   for i, n in enumerate([11, 12, 13, 14])]
        replies = await asyncio.gather(*answers)
        asked = sorted(r[0].text.split("\n")[0] for r in replies)
        assert len(set(asked)) == 4  # each answer moved the flow one question on
        async with hubs[0].db.sessions() as session:
            row = (await session.scalars(sa.select(Conversation))).one()
            turns = await session.scalar(sa.select(sa.func.count()).select_from(Turn))
        assert row.version == 9 and turns == 9
        state = hubs[0].sealer.open(row.state, context=row.user_key.encode())
        slots = state["stack"][0]["slots"]
        assert sorted([slots["households_visited"], slots["people_home"],
                       slots["people_quarantine"], slots["people_returned"]]) == [11, 12, 13, 14]


async def test_turn_log_and_state_are_sealed(database_url: str, tmp_path: Path):
    settings = make_settings(database_url, tmp_path)
    async with open_hub(settings) as hub:
        await grant(hub, "web:p")  # a community worker: "张三的楼" is a slot's value
        for text in ["楼栋排查", "江岸区", "张三的社区", "张三的楼"]:
            await hub.engine.handle(Inbound(channel="web", user_id="p", text=text))
        async with hub.db.sessions() as session:
            blobs = [bytes(b) for b in (await session.scalars(sa.select(Turn.sealed))).all()]
            blobs.append(bytes((await session.scalars(sa.select(Conversation.state))).one()))
    assert blobs and all("张三".encode() not in b for b in blobs)


async def test_cancelled_turn_releases_its_conversation(database_url: str, tmp_path: Path):
    from bot.actions import ActionResult

    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "slow.yml").write_text(
        "id: slow\ntitle: {zh: 慢, en: Slow}\nstart: {keywords: [慢慢来]}\n"
        "steps:\n  - action: test.slow\n  - say: {zh: 完成, en: Done}\n", encoding="utf-8")
    settings = make_settings(database_url, tmp_path, flows_dir=flows)
    async with open_hub(settings) as hub:
        started = asyncio.Event()

        async def slow(ctx):  # type: ignore[no-untyped-def]
            started.set()
            await asyncio.sleep(3600)
            return ActionResult()

        hub.actions.register("test.slow", slow)
        hub.flows.load()
        user = dict(channel="web", user_id="cancelled")
        task = asyncio.create_task(hub.engine.handle(Inbound(**user, text="慢慢来")))
        await started.wait()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        # The same user is served again: nothing was left holding the conversation.
        # (A liveness guard, not a speed limit: a leaked row lock would hang forever.)
        replies = await asyncio.wait_for(hub.engine.handle(Inbound(**user, text="你好")), 120)
        assert replies
        async with hub.db.sessions() as session:
            row = (await session.scalars(sa.select(Conversation))).one()
        assert row.version == 1  # only the second turn was saved


SCREENING = ["楼栋排查", "江岸区", "花桥街一村社区", "12号楼", "跳过", "十二", "30", "0", "1",
             "跳过", "确认"]


async def test_more_users_than_pooled_connections_reach_an_action_at_once(
        postgres_url: str, tmp_path: Path):
    """Turns that lock their conversation for an action hold a connection while the
    action needs another: with three times as many users as the pool has connections,
    all arriving at ``records.save`` together, every one must still get through."""
    settings = make_settings(postgres_url, tmp_path)
    users = 3 * settings.database_pool_size
    async with open_hub(settings) as hub:
        await grant(hub, *(f"web:u{i}" for i in range(users)))  # community workers
        async def one(i: int) -> str:
            for text in SCREENING:
                replies = await hub.engine.handle(Inbound(channel="web", user_id=f"u{i}",
                                                          text=text))
            return replies[-1].text

        # A liveness guard, not a speed limit: a starved pool would wait forever.
        last = await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(users))), 300)
        async with hub.db.sessions() as session:
            records = (await session.scalars(sa.text("SELECT id FROM records"))).all()
    assert all("已登记" in text for text in last)
    # Each user was told the number of a record of their own (saved in batches).
    told = sorted(int(re.search(r"编号 (\d+)", text).group(1)) for text in last)
    assert told == sorted(records) and len(set(told)) == users


async def test_a_stale_copy_is_rerun_and_its_action_runs_once(database_url: str,
                                                               tmp_path: Path):
    """Each process answers from its own copy of the conversation. When another process
    moved the conversation on meanwhile, the turn runs again on the fresh state, and
    an action in it runs once, not once per attempt."""
    from bot.actions import ActionResult

    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "count.yml").write_text(
        "id: count\ntitle: {zh: 计数, en: Count}\nstart: {keywords: [计数]}\nsteps:\n"
        "  - collect: a\n    type: integer\n    prompt: {zh: '几个？', en: 'How many?'}\n"
        "  - action: test.count\n"
        "  - collect: b\n    type: integer\n    prompt: {zh: '再几个？', en: 'How many more?'}\n"
        "  - say: {zh: 好, en: OK}\n", encoding="utf-8")
    settings = make_settings(database_url, tmp_path, flows_dir=flows)
    calls: list[dict] = []

    async def count(ctx):  # type: ignore[no-untyped-def]
        calls.append(dict(ctx.slots))
        return ActionResult()

    async with contextlib.AsyncExitStack() as stack:
        hubs = [await stack.enter_async_context(open_hub(settings)) for _ in range(2)]
        for hub in hubs:
            hub.actions.register("test.count", count)
            hub.flows.load()
        user = dict(channel="web", user_id="two-processes")
        await hubs[0].engine.handle(Inbound(**user, text="计数"))  # hub 0 remembers v1
        help_replies = await hubs[1].engine.handle(Inbound(**user, text="帮助"))  # v2
        assert any("几个" in r.text for r in help_replies)
        # Hub 0's copy is out of date; the answer reaches the action.
        replies = await hubs[0].engine.handle(Inbound(**user, text="3"))
        assert replies[-1].text.startswith("再几个")
        assert calls == [{"a": 3}]
        # And a plain answer on a stale copy: saved on the fresh row, not refused.
        await hubs[1].engine.handle(Inbound(**user, text="帮助"))
        replies = await hubs[0].engine.handle(Inbound(**user, text="4"))
        assert replies[-1].text == "好"
        async with hubs[0].db.sessions() as session:
            row = (await session.scalars(sa.select(Conversation))).one()
            turns = await session.scalar(sa.select(sa.func.count()).select_from(Turn))
        assert row.version == 5 and turns == 5
