"""Invariants under concurrency, on PostgreSQL: no oversell, one limit per person,
expiry exactly once with several sweepers."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date

from resv_helpers import city

from bot.db.database import make_database
from bot.services.reservations import (
    ReservationError,
    ReserveRequest,
    balances,
    reserve,
    set_release,
)
from bot.services.reservations.identity import fake_id
from bot.services.reservations.sweeper import expire_due

DAY = date(2020, 2, 4)


async def _try(sc, r: ReserveRequest) -> str:
    try:
        await reserve(sc, r)
        return "ok"
    except ReservationError as err:
        return err.code


def _req(i: int, store: str = "JA001", idn: str | None = None) -> ReserveRequest:
    return ReserveRequest("mask-adult", store, 1, "李四", idn or fake_id(i, last_odd=False),
                          "web", f"user{i}")


async def test_64_clients_on_one_hot_store_never_oversell(postgres_sc, clock) -> None:
    sc = postgres_sc
    clock.current = city(2020, 2, 4, 13, 0)  # after noon: no share kept for priority groups
    await set_release(sc, DAY, "mask-adult", "JA001", 20)
    results = await asyncio.gather(*(_try(sc, _req(i)) for i in range(64)))
    assert results.count("ok") == 20
    assert set(results) == {"ok", "sold_out"}
    hot = [b for b in await balances(sc, DAY) if b.store == "JA001" and b.product == "mask-adult"]
    assert hot[0].remaining == 0 and hot[0].active == 20
    assert all(b.balanced for b in await balances(sc))


STORES = ["JA001", "JA002", "WC001", "WC002", "JH001", "JH002", "QK001", "QK002"]


async def test_one_person_racing_at_many_stores_gets_one(postgres_sc) -> None:
    sc = postgres_sc
    idn = fake_id(42, last_odd=False)
    await reserve(sc, dataclasses.replace(_req(0, "HS001", fake_id(43, last_odd=False)),
                                          user_id="me"))  # "me" is bound to ID 43 ...
    family = [dataclasses.replace(_req(0, s, idn), user_id="me", proxy=True)
              for s in STORES * 4]  # ... and reserves for ID 42 (a dependant) everywhere
    results = await asyncio.gather(*(_try(sc, r) for r in family))
    assert results.count("ok") == 1
    assert set(results) == {"ok", "limit_reached"}


async def test_identities_racing_for_one_id_number_one_binds_it(postgres_sc) -> None:
    """32 sessions on two channels reserve "for myself" with one unbound ID at once: the
    first binds it and reserves, every other one is refused as bound elsewhere."""
    sc = postgres_sc
    idn = fake_id(44, last_odd=False)
    results = await asyncio.gather(*(
        _try(sc, dataclasses.replace(_req(i, s, idn), channel="wechat" if i % 2 else "web"))
        for i, s in enumerate(STORES * 4)))
    assert results.count("ok") == 1
    assert set(results) == {"ok", "bound_elsewhere"}
    assert sum(b.active for b in await balances(sc)) == 1


async def test_two_sweepers_expire_each_hold_once(postgres_sc, clock) -> None:
    sc = postgres_sc
    for i in range(30):
        await reserve(sc, _req(i, "HS001"))
    clock.current = city(2020, 2, 5, 20, 0)  # window of day 4 ends day 5 at 20:00
    other = dataclasses.replace(sc, db=make_database(sc.db.engine.url.render_as_string(
        hide_password=False)))
    try:
        counts = await asyncio.gather(expire_due(sc), expire_due(other), expire_due(sc))
    finally:
        await other.db.dispose()
    assert sum(counts) == 30
    books = [b for b in await balances(sc) if b.store == "HS001" and b.product == "mask-adult"]
    assert books[0].expired == 30 and books[0].active == 0 and books[0].balanced
    assert await expire_due(sc) == 0
