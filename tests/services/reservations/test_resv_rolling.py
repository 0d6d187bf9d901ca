"""'1 pack per 10 days' is a rolling window from the last reservation or pickup, not a
calendar period (issue 13 §4), through the JSON API on both databases."""

from __future__ import annotations

import dataclasses
from datetime import date

from resv_helpers import city, release_today

from bot.services.reservations import add_staff
from bot.services.reservations.identity import fake_id
from bot.web.auth import create_session
from bot.web.keys import HUB_KEY

ODD = fake_id(31, birth=date(1980, 3, 3), last_odd=True)  # odd IDs: Mon, Wed, Fri


def body(**kw: object) -> dict[str, object]:
    return {"product": "mask-adult", "store": "JA001", "quantity": 1, "name": "张三",
            "id_number": ODD, **kw}


async def december(client, clock) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A session opened on Friday 4 December 2020 (the fixture's is long expired)."""
    clock.current = city(2020, 12, 4, 12, 0)
    token, _ = await create_session(client.server.app[HUB_KEY])
    return {"Authorization": f"Bearer {token}"}


async def reserve_at(client, auth, clock, sc, *when: int, store: str = "JA001"):  # type: ignore[no-untyped-def]
    clock.current = city(*when)
    await release_today(sc)
    resp = await client.post("/api/v1/reservations", json=body(store=store), headers=auth)
    return resp.status, await resp.json()


async def test_ten_days_count_from_the_reservation_not_the_calendar(api) -> None:
    client, _, sc, clock = api
    auth = await december(client, clock)
    status, _ = await reserve_at(client, auth, clock, sc, 2020, 12, 4, 13, 0)  # a Friday
    assert status == 201
    status, refused = await reserve_at(client, auth, clock, sc, 2020, 12, 4, 14, 0,
                                       store="HS001")
    assert status == 409 and refused["error"] == "limit_reached"
    assert refused["next_possible"] == "2020-12-14"  # not a calendar period's end
    assert "12月14日" in refused["message_zh"] and "Dec 14" in refused["message"]
    status, refused = await reserve_at(client, auth, clock, sc, 2020, 12, 13, 13, 0)  # Sun
    assert status == 409 and refused["next_possible"] == "2020-12-14"
    status, _ = await reserve_at(client, auth, clock, sc, 2020, 12, 14, 13, 0)  # Monday
    assert status == 201


async def test_a_pickup_moves_the_window_to_the_pickup_day(api) -> None:
    client, _, sc, clock = api
    auth = await december(client, clock)
    sc.rules = dataclasses.replace(sc.rules, pickup_days=2)  # collect until Dec 06 20:00
    status, made = await reserve_at(client, auth, clock, sc, 2020, 12, 4, 13, 0)
    assert status == 201
    password = await add_staff(sc, "JA001", "clerk")
    clock.current = city(2020, 12, 6, 10, 0)
    ok = await client.post("/api/v1/store/login",
                           json={"username": "clerk", "password": password})
    picked = await client.post("/api/v1/store/redeem", json={"code": made["pickup_code"]},
                               headers={"X-CSRF-Token": (await ok.json())["csrf_token"]})
    assert picked.status == 200, await picked.text()
    status, refused = await reserve_at(client, auth, clock, sc, 2020, 12, 14, 13, 0)
    assert status == 409 and refused["next_possible"] == "2020-12-16"
    assert "12月16日" in refused["message_zh"] and "Dec 16" in refused["message"]
    status, _ = await reserve_at(client, auth, clock, sc, 2020, 12, 16, 13, 0)  # Wednesday
    assert status == 201
