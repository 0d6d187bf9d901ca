"""Releases, carry-over, the lottery and the CSV import, on both databases."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from resv_helpers import city

from bot.services.reservations import (
    ImportProblem,
    ReservationError,
    ReserveRequest,
    balances,
    compute_releases,
    draw_winners,
    import_stores,
    reserve,
    set_capacity,
    split_by_weight,
    sweep_once,
)
from bot.services.reservations.identity import fake_id
from bot.services.reservations.priority import verify_draws


@given(st.integers(0, 10 ** 7), st.lists(st.floats(0.01, 1000), min_size=1, max_size=50))
def test_split_releases_exactly_the_pool(pool: int, weights: list[float]) -> None:
    shares = split_by_weight(pool, [(f"s{i:03d}", w) for i, w in enumerate(weights)])
    assert sum(shares.values()) == pool
    assert all(v >= 0 for v in shares.values())


def test_draw_is_reproducible_bounded_and_not_by_order() -> None:
    entries = [(f"{i:016x}", 1 + i % 2) for i in range(200)]
    first = draw_winners("ab" * 32, entries, 50)
    assert first == draw_winners("ab" * 32, list(reversed(entries)), 50)
    assert sum(q for e, q in entries if e in set(first)) <= 50
    assert first != draw_winners("cd" * 32, entries, 50)


async def test_release_is_idempotent_and_expired_units_carry_over(sc, clock) -> None:
    day = date(2020, 2, 4)
    again = await compute_releases(sc, day)
    assert all(r.released == 0 for r in again)
    for i in range(5):
        await reserve(sc, ReserveRequest("mask-adult", "JA001", 1, "王五",
                                         fake_id(i, last_odd=False), "web", f"u{i}"))
    clock.current = city(2020, 2, 5, 21, 0)  # holds of the 4th end on the 5th at 20:00
    assert (await sweep_once(sc))["expired"] == 5
    await set_capacity(sc, "mask-adult", date(2020, 2, 6), 100)
    reports = {r.product: r for r in await compute_releases(sc, date(2020, 2, 6))}
    # 600 released on the 4th, none redeemed: all of it returns, plus 100 new
    assert reports["mask-adult"].released == 700
    assert all(b.balanced for b in await balances(sc))
    assert all(r.released == 0 for r in await compute_releases(sc, date(2020, 2, 6)))


async def test_lottery_draw_tells_everyone_and_never_exceeds_supply(sc, clock) -> None:
    entries = 30
    for i in range(entries):
        out = await reserve(sc, ReserveRequest("mask-child", "JA001", 1, "赵六",
                                               fake_id(i), "wechat", f"o{i}"))
        assert out.kind == "registered"
    with pytest.raises(ReservationError, match="already registered"):
        await reserve(sc, ReserveRequest("mask-child", "JA002", 1, "赵六", fake_id(0),
                                         "wechat", "o0"))
    with pytest.raises(ReservationError) as err:  # someone else with that ID number
        await reserve(sc, ReserveRequest("mask-child", "JA002", 1, "赵六", fake_id(0),
                                         "web", "x"))
    assert err.value.code == "bound_elsewhere"
    clock.current = city(2020, 2, 4, 20, 0, 1)
    assert (await sweep_once(sc))["draws"] == 12  # 12 releases of mask-child
    books = [b for b in await balances(sc) if b.product == "mask-child" and b.store == "JA001"]
    assert books[0].active == 12 and books[0].remaining == 0  # 120 × 3/30 = 12 packs
    assert (await sc.outbox.counts())["pending"] == entries
    (hp,) = [d for d in await verify_draws(sc, date(2020, 2, 4)) if d["store"] == "JA001"]
    assert hp["reproduced"] and len(hp["winners"]) == 12 and hp["entries"] == entries
    assert (await sweep_once(sc))["draws"] == 0


async def test_bad_csv_imports_nothing_and_names_lines(sc) -> None:
    text = ("code,name,address,district,lat,lng\nOK1,a,b,c,30.6,114.3\n"
            "BAD1,a,b,c,91,121\nBAD2,a,b,c,31.2\nBAD3,a,b,c,39.9,116.4\nOK1,a,b,c,30.6,114.3\n"
            "BAD4,a,b,c,abc,121\n")
    with pytest.raises(ImportProblem) as err:
        await import_stores(sc, text)
    assert [n for n, _ in err.value.problems] == [3, 4, 5, 6, 7]
    with pytest.raises(ImportProblem, match="missing column"):
        await import_stores(sc, "code,name\nA,b\n")
    codes = {b.store for b in await balances(sc)}
    assert "OK1" not in codes
