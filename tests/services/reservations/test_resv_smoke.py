"""End-to-end basics: reserve, list, cancel, conservation."""

from __future__ import annotations

from datetime import date

from bot.services.reservations import ReserveRequest, balances, cancel, list_mine, reserve
from bot.services.reservations.identity import fake_id


async def test_reserve_and_cancel(sc) -> None:
    idn = fake_id(1, birth=date(1985, 6, 15), last_odd=False)  # Tuesday: even IDs
    out = await reserve(sc, ReserveRequest("mask-adult", "JA001", 1, "张三", idn, "web", "u1"))
    assert out.kind == "reserved" and len(out.pickup_code) == 13
    mine = await list_mine(sc, "web", "u1")
    assert [m.public_id for m in mine] == [out.public_id]
    await cancel(sc, "web", "u1", out.public_id)
    assert all(b.balanced for b in await balances(sc))
