"""``tongguan secrets rotate-seal`` on SQLite and PostgreSQL: data sealed under key A,
a rotation to B interrupted half-way (both keys' values open), resumed and finished (all
under B), then A is no longer needed; a value whose key is not in the ring stops it."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.assembly import open_hub
from bot.config import SealSettings, Settings
from bot.db.base import Base
from bot.messages import Inbound
from bot.privacy import SEAL_V1, SealError, derive_key
from bot.services.privacy.rotation import RotationError, not_current, rotate_seal
from bot.services.privacy.sealed_columns import NOT_SEALED, SEALED
from tests.conftest import TEST_SECRET, make_settings

KEY_B = "seal-key-b-0123456789abcdef0123456789abcdef"


def with_seal(settings: Settings, key: str = "", previous: str = "") -> Settings:
    return dataclasses.replace(settings, seal=SealSettings(key=key, previous_keys=previous))


async def seed(hub: Any) -> None:
    """Ten records sealed by the service, one written before key ids existed (0x01),
    and a conversation (its state sealed under its user key, its turn log)."""
    async with hub.db.sessions.begin() as session:
        for i in range(10):
            await session.execute(sa.text(
                "INSERT INTO records (id, flow_id, user_key, lang, data, created_at) "
                "VALUES (:id, 'f', 'web:x', 'zh', :data, :at)"),
                {"id": i + 1, "data": hub.sealer.seal({"n": i}), "at": hub.clock.now()})
        nonce = os.urandom(12)
        legacy = SEAL_V1 + nonce + AESGCM(derive_key(TEST_SECRET, "seal-v1")).encrypt(
            nonce, b'{"n":10}', b"")
        await session.execute(sa.text(
            "INSERT INTO records (id, flow_id, user_key, lang, data, created_at) "
            "VALUES (11, 'f', 'web:x', 'zh', :data, :at)"), {"data": legacy,
                                                            "at": hub.clock.now()})
        await session.execute(sa.text(
            "INSERT INTO supply_idempotency (key_hash, body_hash, status, response, created_at) "
            "VALUES ('k', 'b', 200, :r, :at)"),
            {"r": json.dumps({"sealed": base64.b64encode(hub.sealer.seal({"n": 11})).decode()}),
             "at": hub.clock.now()})
    await hub.engine.handle(Inbound(channel="web", user_id="rot", text="健康申报"))


async def idempotent_answer(hub: Any) -> Any:
    """The sealed answer kept inside a JSON column (supply_idempotency.response)."""
    async with hub.db.sessions() as session:
        raw = await session.scalar(sa.text("SELECT response FROM supply_idempotency"))
    value = json.loads(raw) if isinstance(raw, str) else raw
    return hub.sealer.open(base64.b64decode(value["sealed"]))["n"]


async def opened(hub: Any) -> list[int]:
    async with hub.db.sessions() as session:
        rows = (await session.execute(sa.text("SELECT data FROM records ORDER BY id"))).all()
    return [hub.sealer.open(bytes(r[0]))["n"] for r in rows]


async def test_rotation_interrupted_resumed_and_the_old_key_retired(
        database_url: str, tmp_path: Path) -> None:
    base = make_settings(database_url, tmp_path)
    async with open_hub(base) as hub_a:  # key A: derived from secret_key
        await seed(hub_a)
    rotating = with_seal(base, KEY_B, previous=TEST_SECRET)
    async with open_hub(rotating) as hub:
        before = await not_current(hub)
        assert before["records"] == 11 and before["conversations"] == 1 and before["turns"] >= 1
        report = await rotate_seal(hub, batch_size=4, max_batches=2)  # interrupted
        assert not report.finished
        assert report.resealed == {"conversations": 1, "turns": before["turns"]}
        half = await not_current(hub)
        assert half["records"] == 11
        assert await opened(hub) == list(range(11))  # both keys' values open
        report = await rotate_seal(hub, batch_size=4, max_batches=2)  # records 1-8
        assert await not_current(hub) == {"records": 3, "supply_idempotency": 1}
        assert await opened(hub) == list(range(11))
        report = await rotate_seal(hub, batch_size=4)  # resumed to the end
        assert report.finished and report.resealed == {"records": 3, "supply_idempotency": 1}
        assert await not_current(hub) == {}
        assert (await rotate_seal(hub)).resealed == {}  # done: nothing more
    async with open_hub(with_seal(base, KEY_B)) as hub_b:  # A is gone from the ring
        assert await opened(hub_b) == list(range(11))
        assert await idempotent_answer(hub_b) == 11
        replies = await hub_b.engine.handle(Inbound(channel="web", user_id="rot", text="取消"))
        assert replies  # the conversation's sealed state opened under B
    async with open_hub(base) as hub_a:  # and A alone no longer opens any of it
        with pytest.raises(SealError):
            await opened(hub_a)


async def test_a_value_under_a_key_not_in_the_ring_stops_the_rotation(
        database_url: str, tmp_path: Path) -> None:
    base = make_settings(database_url, tmp_path)
    async with open_hub(base) as hub_a:
        await seed(hub_a)
    async with open_hub(with_seal(base, KEY_B)) as hub:  # previous_keys forgotten
        with pytest.raises(RotationError, match="seal.previous_keys"):
            await rotate_seal(hub)
    async with open_hub(base) as hub_a:  # nothing was changed
        assert await opened(hub_a) == list(range(11))


def test_every_binary_column_is_sealed_and_listed_or_known_not_to_be() -> None:
    import bot.db.models  # noqa: F401  (registers every table)

    listed = {(s.table, c) for s in SEALED for c in s.columns}
    binary = {(t.name, c.name) for t in Base.metadata.tables.values() for c in t.columns
              if isinstance(c.type, sa.LargeBinary)}
    assert binary - NOT_SEALED <= listed
    assert not (listed & NOT_SEALED)
    for spec in SEALED:
        assert spec.key in Base.metadata.tables[spec.table].c
