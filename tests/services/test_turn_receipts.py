"""Receipts (SQLite and PostgreSQL): a message run again after its process died
(``Inbound.resumed``) is answered from the receipt its turn saved, not run twice; a
health declaration made for a message is found again, not made twice."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from bot.actions import ActionContext
from bot.assembly import open_hub
from bot.messages import Inbound
from tests.conftest import make_settings
from tests.web.faults_support import declaration, resident_id


def _wechat(text: str, receipt: str, *, resumed: bool = False) -> Inbound:
    return Inbound(channel="wechat", user_id="o_r", text=text, receipt=receipt,
                   resumed=resumed)


async def _count(hub, table: str) -> int:  # type: ignore[no-untyped-def]
    async with hub.db.sessions() as session:
        return int(await session.scalar(sa.text(f"SELECT count(*) FROM {table}")))


async def test_a_resumed_message_is_answered_from_its_receipt(database_url: str,
                                                             tmp_path: Path) -> None:
    async with open_hub(make_settings(database_url, tmp_path)) as hub:
        first = await hub.engine.handle(_wechat("健康申报", "wechat:k1"))
        again = await hub.engine.handle(_wechat("健康申报", "wechat:k1", resumed=True))
        assert again == first and await _count(hub, "turns") == 1
        # Resumed, but its process died before the save: the turn runs (once).
        nxt = await hub.engine.handle(_wechat("1", "wechat:k2", resumed=True))
        assert nxt != first and await _count(hub, "turns") == 2
        assert await _count(hub, "turn_receipts") == 2


async def test_a_declaration_made_for_a_message_is_not_made_twice(database_url: str,
                                                                 tmp_path: Path) -> None:
    async with open_hub(make_settings(database_url, tmp_path)) as hub:
        for n, text in enumerate(declaration(resident_id(7))[:-1]):
            await hub.engine.handle(_wechat(text, f"wechat:m{n}"))
        async with hub.db.sessions() as session:  # the conversation stands at the summary
            raw = await session.scalar(sa.text("SELECT state FROM conversations"))
        state = hub.sealer.open_bytes(bytes(raw), context=b"wechat:o_r")
        slots = json.loads(state)["stack"][0]["slots"]
        ctx = ActionContext(user_key="wechat:o_r", channel="wechat", user_id="o_r", lang="zh",
                            flow_id="health_declaration", slots=slots, params={},
                            now=hub.clock.now(), receipt="wechat:confirm:health_declaration:s")
        submit = hub.actions.get("declarations.submit").fn
        first = await submit(ctx)  # the process dies after this, before the turn's save
        again = await submit(ctx)  # the message, taken over, runs the step again
        assert again.replies == first.replies and "绿码" in first.replies[0].text
        assert await _count(hub, "health_declarations") == 1
