"""``tongguan demo seed`` for staff and filings: every demo account logs in, the reviewer
queue and the rates have something to show, and a second run adds nothing."""

from __future__ import annotations

from collections import Counter

from bot.features import FILINGS, RESERVATIONS, STAFF


async def test_demo_accounts_and_filings(api) -> None:
    for _ in range(2):
        for feature in (STAFF, RESERVATIONS, FILINGS):
            assert feature.demo is not None
            await feature.demo(api.hub)
    from bot.services.staff.demo import ACCOUNTS, DEMO_PASSWORD

    tokens = {}
    for username in [a[0] for a in ACCOUNTS] + ["store"]:
        resp = await api.client.post("/api/v1/staff/sessions",
                                     json={"username": username, "password": DEMO_PASSWORD})
        assert resp.status == 200, username
        tokens[username] = {"Authorization": f"Bearer {(await resp.json())['token']}"}
    listed = await (await api.client.get("/api/v1/filings?limit=100",
                                         headers=tokens["reviewer2"])).json()
    states = Counter(item["state"] for item in listed["items"])
    assert states == {"approved": 6, "returned": 2, "rejected": 1, "submitted": 3}
    assert any(item["flags"] for item in listed["items"] if item["state"] == "submitted")
    scoped = await (await api.client.get("/api/v1/filings?limit=100",
                                         headers=tokens["reviewer"])).json()
    assert {item["district"] for item in scoped["items"]} == {"jiangan"}
    rates = await (await api.client.get("/api/v1/stats/resumption",
                                        headers=tokens["officer"])).json()
    assert sum(r["firms"] for r in rates["rows"]) == 30
    assert sum(r["approved"] for r in rates["rows"]) == 6
