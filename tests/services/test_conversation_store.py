"""The SQL conversation store's less travelled paths: several turn rows in one save,
with and without the row lock; a cached copy that another store made stale."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.assembly import open_hub
from bot.db.models import Conversation, Turn
from bot.dialogue.store import StaleConversation, TurnRecord
from tests.conftest import make_settings


async def test_several_turn_rows_in_one_save(database_url: str, tmp_path: Path):
    async with open_hub(make_settings(database_url, tmp_path)) as hub:
        store = hub.engine.store
        for locked in (False, True):
            async with store.open("web:multi") as conv:
                if locked:
                    await conv.exclusive()
                conv.state.lang = "en"
                for text in ("a", "b"):
                    conv.log(TurnRecord({"text": text}, None, [], None, None))
        async with store.open("web:multi") as conv:  # nothing logged: state only
            assert conv.state.lang == "en" and not conv.is_new
        async with hub.db.sessions() as session:
            row = (await session.scalars(sa.select(Conversation))).one()
            turns = await session.scalar(sa.select(sa.func.count()).select_from(Turn))
    assert (row.version, turns) == (3, 4)


async def test_a_stale_copy_is_refused_at_the_save_and_read_afresh(database_url: str,
                                                                    tmp_path: Path):
    settings = make_settings(database_url, tmp_path)
    async with open_hub(settings) as first, open_hub(settings) as second:
        async with first.engine.store.open("web:s") as conv:
            conv.state.lang = "en"
        async with second.engine.store.open("web:s") as conv:  # moves the row on
            conv.state.lang = "zh"
        with pytest.raises(StaleConversation):
            async with first.engine.store.open("web:s") as conv:
                assert conv.state.lang == "en"  # the first store's own copy
                conv.state.lang = "xx"
        async with first.engine.store.open("web:s") as conv:  # read afresh
            assert conv.state.lang == "zh"
