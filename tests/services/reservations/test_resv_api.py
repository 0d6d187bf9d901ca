"""The HTTP side through the whole app: reservation API, idempotency, stock feed, staff."""

from __future__ import annotations

from datetime import date

import pytest

from bot.services.reservations import add_staff
from bot.services.reservations.identity import fake_id

EVEN = fake_id(11, birth=date(1980, 3, 3), last_odd=False)


def body(**kw: object) -> dict[str, object]:
    return {"product": "mask-adult", "store": "JA001", "quantity": 1, "name": "张三",
            "id_number": EVEN, **kw}


async def test_reserve_over_api_with_idempotency(api) -> None:
    client, auth, sc, _ = api
    headers = {**auth, "Idempotency-Key": "k-1"}
    first = await client.post("/api/v1/reservations", json=body(), headers=headers)
    assert first.status == 201, await first.text()
    data = await first.json()
    assert set(data) == {"reservation_id", "pickup_code", "store", "product", "quantity",
                         "window"}
    again = await client.post("/api/v1/reservations", json=body(), headers=headers)
    assert again.status == 201 and await again.json() == data
    other = await client.post("/api/v1/reservations", json=body(store="HS001"), headers=headers)
    assert other.status == 422 and (await other.json())["error"] == "idempotency_mismatch"
    limit = await client.post("/api/v1/reservations", json=body(store="HS001"), headers=auth)
    assert limit.status == 409 and (await limit.json())["error"] == "limit_reached"


@pytest.mark.parametrize("changes,status,error", [
    ({"quantity": -3}, 422, "invalid"), ({"quantity": 10 ** 9}, 422, "invalid"),
    ({"id_number": "123"}, 422, "invalid"), ({"store": "ZZZ"}, 404, "unknown_store"),
    ({"product": "gold"}, 404, "unknown_product"), ({"extra": 1}, 422, "invalid")])
async def test_bad_fields(api, changes, status, error) -> None:
    client, auth, _, _ = api
    resp = await client.post("/api/v1/reservations", json=body(**changes), headers=auth)
    assert resp.status == status and (await resp.json())["error"] == error


async def test_api_needs_a_session(api) -> None:
    client, _, _, _ = api
    resp = await client.post("/api/v1/reservations", json=body())
    assert resp.status == 401


async def test_stock_feed_is_fresh_and_cacheable(api) -> None:
    client, auth, _, _ = api
    resp = await client.get("/api/v1/stock")
    assert resp.status == 200
    assert "max-age=3" in resp.headers["Cache-Control"]
    feed = await resp.json()
    hp = [r for r in feed["stock"] if r["store"] == "JA001" and r["product"] == "mask-adult"]
    assert hp[0]["remaining"] == hp[0]["released"] == 60
    same = await client.get("/api/v1/stock", headers={"If-None-Match": resp.headers["ETag"]})
    assert same.status == 304
    csv_resp = await client.get("/api/v1/stock?format=csv")
    assert (await csv_resp.text()).startswith("store,store_name")


async def test_staff_redeem_once_and_guessing_is_limited(api) -> None:
    client, auth, sc, _ = api
    made = await (await client.post("/api/v1/reservations", json=body(), headers=auth)).json()
    password = await add_staff(sc, "JA001", "alice")
    bad = await client.post("/api/v1/store/login", json={"username": "alice", "password": "x"})
    assert bad.status == 401
    ok = await client.post("/api/v1/store/login",
                           json={"username": "alice", "password": password})
    assert ok.status == 200
    staff = {"X-CSRF-Token": (await ok.json())["csrf_token"]}
    typed = made["pickup_code"].replace("-", " ").lower()
    forged = await client.post("/api/v1/store/lookup", json={"code": typed})
    assert forged.status == 403 and (await forged.json())["error"] == "csrf"
    seen = await (await client.post("/api/v1/store/lookup", json={"code": typed},
                                    headers=staff)).json()
    assert seen["name"] == "张*" and seen["quantity"] == 1 and seen["status"] == "active"
    first = await client.post("/api/v1/store/redeem", json={"code": typed}, headers=staff)
    assert first.status == 200 and (await first.json())["status"] == "redeemed"
    second = await client.post("/api/v1/store/redeem", json={"code": made["pickup_code"]},
                               headers=staff)
    assert second.status == 409
    assert (await second.json())["error"] == "already_redeemed"
    today = await (await client.get("/api/v1/store/today")).json()
    assert today["counts"] == {"redeemed": 1}
    codes = [(await client.post("/api/v1/store/lookup", json={"code": f"ABCD-EFGH-JKM{i:02d}"},
                                headers=staff)).status for i in range(12)]
    assert codes[0] == 404 and codes[-1] == 429


async def test_redeem_after_expiry_is_refused(api) -> None:
    from resv_helpers import city

    client, auth, sc, clock = api
    made = await (await client.post("/api/v1/reservations", json=body(), headers=auth)).json()
    password = await add_staff(sc, "JA001", "bob")
    clock.current = city(2020, 2, 5, 20, 0)  # the window has just closed; no sweeper ran
    ok = await client.post("/api/v1/store/login", json={"username": "bob", "password": password})
    resp = await client.post("/api/v1/store/redeem", json={"code": made["pickup_code"]},
                             headers={"X-CSRF-Token": (await ok.json())["csrf_token"]})
    assert resp.status == 409 and (await resp.json())["error"] == "expired"


