"""The lean hot path: all-or-nothing refusals, cached stores, texts in the reader's language."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.db.models.core import Conversation, OutboxMessage
from bot.db.models.declarations import HealthSubject
from bot.db.models.reservations import SupplyQuota, SupplyStore
from bot.services.reservations import (
    NotFound,
    ReservationError,
    ReserveRequest,
    balances,
    reserve,
    set_release,
    sweep_once,
)
from bot.services.reservations.identity import fake_id
from bot.services.reservations.service import REPO_ROOT, rules_path


def req(store: str, seed: int, user: str | None = None) -> ReserveRequest:
    idn = fake_id(seed, birth=date(1985, 6, 15), last_odd=False)  # Tuesday: even IDs
    return ReserveRequest("mask-adult", store, 1, "张三", idn, "web", user or f"u{seed}")


async def test_a_refused_hold_keeps_nothing(sc) -> None:
    day = sc.rules.city_day(sc.clock.now())
    await set_release(sc, day, "mask-adult", "JA001", 0)
    with pytest.raises(ReservationError) as err:
        await reserve(sc, req("JA001", 7))
    assert err.value.code == "sold_out"
    async with sc.db.sessions() as s:  # neither the person's nor the household's quota
        assert (await s.scalar(sa.select(sa.func.count()).select_from(SupplyQuota))) == 0
        # ... nor the binding it would have made (nothing of a refusal is kept)
        assert (await s.scalar(sa.select(sa.func.count()).select_from(HealthSubject))) == 0
    out = await reserve(sc, req("JA002", 7))  # the same person elsewhere: still allowed
    assert out.kind == "reserved"
    with pytest.raises(ReservationError) as err:
        await reserve(sc, req("WC001", 7))
    assert err.value.code == "limit_reached"
    assert all(b.balanced for b in await balances(sc))


async def test_a_store_closed_after_it_was_cached_is_refused(sc) -> None:
    await reserve(sc, req("JA001", 1))  # caches the store's release
    async with sc.db.sessions.begin() as s:
        await s.execute(sa.update(SupplyStore).where(SupplyStore.code == "JA001")
                        .values(active=False))
    with pytest.raises(NotFound) as err:
        await reserve(sc, req("JA001", 2))
    assert err.value.code == "unknown_store"


async def test_reminders_speak_the_users_language(sc, clock) -> None:
    now = sc.clock.now()
    async with sc.db.sessions.begin() as s:
        s.add(Conversation(user_key="web:en-user", lang="en", version=0, push_allowed=True,
                           created_at=now, updated_at=now))
    await reserve(sc, req("JA001", 1, "en-user"))
    await reserve(sc, req("JA001", 2, "zh-user"))  # never chatted: Chinese
    clock.advance(hours=33, minutes=30)  # Wednesday 18:30, window ends 20:00
    assert (await sweep_once(sc))["reminders"] == 2
    async with sc.db.sessions() as s:
        rows = (await s.execute(sa.select(OutboxMessage.user_id, OutboxMessage.payload))).all()
    texts = {user: sc.sealer.open(payload)[0]["text"] for user, payload in rows}
    assert texts["en-user"].startswith("Reminder:") and "提醒" not in texts["en-user"]
    assert texts["zh-user"].startswith("提醒") and "Reminder" not in texts["zh-user"]


def test_rules_path_resolves_against_cwd_then_repository(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert rules_path(Path("supply_rules.yml")) == REPO_ROOT / "supply_rules.yml"
    (tmp_path / "supply_rules.yml").write_text("x", encoding="utf-8")
    assert rules_path(Path("supply_rules.yml")) == Path("supply_rules.yml")
    assert rules_path(tmp_path / "other.yml") == tmp_path / "other.yml"
