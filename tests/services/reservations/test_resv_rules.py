"""Eligibility on both databases: limits across stores and channels, rotation, household,
priority, opening hours at the city's midnight, bad input."""

from __future__ import annotations

from datetime import date

import pytest
from resv_helpers import city

from bot.services.reservations import (
    InvalidInput,
    NotFound,
    ReservationError,
    ReserveRequest,
    balances,
    cancel,
    reserve,
)
from bot.services.reservations.identity import fake_id

EVEN = fake_id(7, birth=date(1985, 6, 15), last_odd=False)
ODD = fake_id(7, birth=date(1985, 6, 15), last_odd=True)
#: born in 1982: disinfectant on Tuesdays (birth-year rotation)
BORN_1982 = fake_id(8, birth=date(1982, 3, 1), last_odd=True)


def req(store: str = "JA001", idn: str = EVEN, user: str = "u1", channel: str = "web",
        product: str = "mask-adult", qty: object = 1, proxy: bool = False) -> ReserveRequest:
    return ReserveRequest(product, store, qty, "张三", idn, channel, user, proxy)


async def test_limit_holds_across_stores_channels_and_accounts(sc) -> None:
    await reserve(sc, req("JA001"))
    with pytest.raises(ReservationError) as err:  # the same person at another store
        await reserve(sc, req("HS001"))
    assert err.value.code == "limit_reached"
    assert err.value.detail["next_possible"] == "2020-02-14"  # 10 days from this one
    # a person nobody is bound to, reserved for by two family accounts on two channels
    await reserve(sc, req("JA001", idn=BORN_1982, user="son", proxy=True,
                          product="disinfectant", qty=1))
    with pytest.raises(ReservationError) as err:
        await reserve(sc, req("HS001", idn=BORN_1982, channel="wechat", user="daughter",
                              proxy=True, product="disinfectant", qty=2))
    assert err.value.code == "limit_reached"  # 2 per 7 days: 1 is left, 2 asked
    assert err.value.detail["next_possible"] == "2020-02-11"
    await reserve(sc, req("HS001", idn=BORN_1982, channel="wechat", user="daughter",
                          proxy=True, product="disinfectant", qty=1))
    with pytest.raises(ReservationError) as err:
        await reserve(sc, req("WC001", idn=BORN_1982, user="son", proxy=True,
                              product="disinfectant", qty=1))
    assert err.value.code == "limit_reached"
    assert all(b.balanced for b in await balances(sc))


async def test_cancel_returns_stock_and_quota_at_once(sc) -> None:
    out = await reserve(sc, req())
    before = {b.store: b.remaining for b in await balances(sc) if b.product == "mask-adult"}
    await cancel(sc, "web", "u1", out.public_id)
    after = {b.store: b.remaining for b in await balances(sc) if b.product == "mask-adult"}
    assert after["JA001"] == before["JA001"] + 1
    await reserve(sc, req("WC001"))  # quota given back too
    with pytest.raises(ReservationError, match="already"):
        await cancel(sc, "web", "u1", out.public_id)


async def test_rotation_day_by_id_parity(sc) -> None:  # Tuesday: even IDs only
    with pytest.raises(ReservationError) as err:
        await reserve(sc, req(idn=ODD))
    assert err.value.code == "not_rotation_day" and "mon" in err.value.detail["days"]


async def test_household_limit_per_account(sc) -> None:
    for i in range(5):  # self + 4 family members
        await reserve(sc, req(idn=fake_id(100 + i, last_odd=False), proxy=i > 0))
    with pytest.raises(ReservationError) as err:
        await reserve(sc, req(idn=fake_id(200, last_odd=False), proxy=True))
    assert err.value.code == "household_limit"
    assert err.value.detail["next_possible"] == "2020-02-14"


async def test_priority_share_kept_until_noon(sc, clock) -> None:
    from bot.services.reservations import set_release, set_stock

    day = date(2020, 2, 4)
    await set_stock(sc, "mask-adult", 10)
    await set_release(sc, day, "mask-adult", "JA001", 70)  # 20% = 14 kept for priority
    with pytest.raises(ReservationError, match="on hand"):
        await set_release(sc, day, "mask-adult", "JA002", 41)  # 40 + 1 > nothing left
    general = [fake_id(1000 + i, last_odd=False) for i in range(61)]
    got = 0
    for i, idn in enumerate(general):
        try:
            await reserve(sc, req(idn=idn, user=f"g{i}"))
            got += 1
        except ReservationError as err:
            assert err.code == "sold_out"
    assert got == 70 - 14
    elder = fake_id(5, birth=date(1935, 1, 1), last_odd=False)
    await reserve(sc, req(idn=elder, user="elder"))  # age 85: from the kept share
    clock.current = city(2020, 2, 4, 12, 30)
    await reserve(sc, req(idn=fake_id(3000, last_odd=False), user="late"))  # share opened
    assert all(b.balanced for b in await balances(sc))


@pytest.mark.parametrize("moment,open_", [
    ((2020, 2, 4, 7, 59), False), ((2020, 2, 4, 8, 0), True), ((2020, 2, 4, 19, 59), True),
    ((2020, 2, 4, 20, 0), False), ((2020, 2, 4, 23, 59), False), ((2020, 2, 5, 0, 0), False)])
async def test_opening_hours_in_city_time(sc, clock, moment, open_) -> None:
    clock.current = city(*moment)
    if open_:
        await reserve(sc, req())
    else:
        with pytest.raises(ReservationError) as err:
            await reserve(sc, req())
        assert err.value.code == "not_open"


async def test_midnight_starts_a_new_city_day(sc, clock) -> None:
    """At 00:00 Shanghai (16:00 UTC the day before) today's releases are tomorrow's."""
    assert sc.rules.city_day(city(2020, 2, 4, 23, 59, 59)) == date(2020, 2, 4)
    assert sc.rules.city_day(city(2020, 2, 5, 0, 0)) == date(2020, 2, 5)
    clock.current = city(2020, 2, 5, 9, 0)  # Wednesday: odd IDs, no releases yet
    with pytest.raises(ReservationError) as err:
        await reserve(sc, req(idn=ODD))
    assert err.value.code == "sold_out"


@pytest.mark.parametrize("kwargs,error", [
    ({"store": "NOPE"}, NotFound), ({"product": "caviar"}, NotFound),
    ({"qty": -1}, InvalidInput), ({"qty": 0}, InvalidInput), ({"qty": 10 ** 12}, InvalidInput),
    ({"qty": "many"}, InvalidInput), ({"qty": True}, InvalidInput),
    ({"idn": "110101199003071234"}, InvalidInput), ({"idn": "11010119900307"}, InvalidInput)])
async def test_bad_input_is_refused_and_nothing_taken(sc, kwargs, error) -> None:
    with pytest.raises(error):
        await reserve(sc, req(**kwargs))
    assert sum(b.active for b in await balances(sc)) == 0
