"""Found when probed (issue 17 §4): a store clerk who mistyped often must still serve the
queue — only misses count, a valid code always goes through, misses back off."""

from __future__ import annotations

from test_resv_api import body

from bot.services.reservations import add_staff
from bot.services.reservations.staff import GUESS_LIMIT


async def test_a_valid_code_goes_through_after_many_misses(api) -> None:
    client, auth, sc, _ = api
    made = await (await client.post("/api/v1/reservations", json=body(), headers=auth)).json()
    password = await add_staff(sc, "JA001", "clerk")
    ok = await client.post("/api/v1/store/login",
                           json={"username": "clerk", "password": password})
    staff = {"X-CSRF-Token": (await ok.json())["csrf_token"]}
    statuses = [(await client.post("/api/v1/store/lookup",
                                   json={"code": f"ABCD-EFGH-JK{i:03d}"}, headers=staff))
                for i in range(GUESS_LIMIT + 2)]
    assert [r.status for r in statuses[:GUESS_LIMIT]] == [404] * GUESS_LIMIT
    late = statuses[-1]
    assert late.status == 429 and int(late.headers["Retry-After"]) >= 1
    assert (await late.json())["message_zh"]
    # the customer at the counter with a real code is served at once
    seen = await client.post("/api/v1/store/lookup", json={"code": made["pickup_code"]},
                             headers=staff)
    assert seen.status == 200 and (await seen.json())["status"] == "active"
    done = await client.post("/api/v1/store/redeem", json={"code": made["pickup_code"]},
                             headers=staff)
    assert done.status == 200 and (await done.json())["status"] == "redeemed"
