"""What needs action: a building (and street) with several yellow/red declarations, a
handoff waiting longer than ``ops.handoff_wait_minutes`` (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from bot.services.declarations import Person, declarations, declare
from bot.services.ops.clock import city_day
from bot.services.ops.snapshot import read
from bot.services.ops.summary import summary
from bot.web.keys import HUB_KEY

WEIGHTS = (7, 9, 10, 5, 8, 4, 3, 2, 1, 7, 9, 10, 5, 8, 4, 3, 2)


def id_number(n: int) -> str:
    body = f"420106198502{n % 28 + 1:02d}{n % 1000:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS,
                                                                 strict=True)) % 11]


async def test_a_building_with_several_yellow_or_red(client):  # type: ignore[no-untyped-def]
    hub = client.app[HUB_KEY]
    svc = declarations(hub)
    calm = {"district": "wuchang", "street": "中南路街", "temperature": 36.5,
            "symptoms": ["none"], "travel": ["none"], "contact": False, "quarantine": "free"}
    plan = [("5号楼", {"temperature": 38.6})] * 3 + [("6号楼", {"contact": True})] * 2 + [
        ("6号楼", {})] * 2 + [("", {})]
    for n, (building, sick) in enumerate(plan):
        await declare(svc, person=Person("钱七", id_number(n), None),
                      answers={**calm, "building": building, **sick},
                      user_key=f"web:b{n}", proxy=False)
    now = hub.clock.now()
    view = summary(await read(hub, city_day(hub.settings, now), now), hub.settings, "wuchang")
    rows = {r["place"]: r for r in view["buildings"]}
    assert rows["5号楼"]["yellow"] == 3 and rows["5号楼"]["yellow_red"] == 3
    assert rows["6号楼"]["declarations"] == 4 and rows["6号楼"]["red"] == "<3"
    assert rows["6号楼"]["yellow_red"] == "<3"
    (street,) = view["streets"]  # the street counts its buildings and the rest
    assert street["declarations"] == 8 and street["yellow_red"] == 5
    kinds = {(h["kind"], h.get("building")) for h in view["highlights"]}
    assert ("building_risk", "5号楼") in kinds and ("street_risk", None) in kinds
    assert ("building_risk", "6号楼") not in kinds  # 2 red: not named
    [risk] = [h for h in view["highlights"] if h["kind"] == "building_risk"]
    assert risk["count"] == 3 and "5号楼" in risk["zh"] and "5号楼" in risk["en"]
    assert not summary(await read(hub, city_day(hub.settings, now), now), hub.settings,
                       "jiangan")["highlights"]


async def test_a_handoff_waiting_too_long(client):  # type: ignore[no-untyped-def]
    hub = client.app[HUB_KEY]
    session = await (await client.post("/api/v1/sessions", json={})).json()
    headers = {"Authorization": f"Bearer {session['token']}"}
    resp = await client.post("/api/v1/chat", json={"text": "转人工"}, headers=headers)
    assert resp.status == 200
    now = hub.clock.now()
    day = city_day(hub.settings, now)
    wait = hub.settings.ops.handoff_wait_minutes
    soon = summary(await read(hub, day, now + timedelta(minutes=wait)), hub.settings)
    assert soon["handoffs"]["waiting"] == 1
    assert not [h for h in soon["highlights"] if h["kind"] == "handoff_waiting"]
    late = summary(await read(hub, day, now + timedelta(minutes=wait + 1)), hub.settings)
    [found] = [h for h in late["highlights"] if h["kind"] == "handoff_waiting"]
    assert found["count"] == 1 and found["minutes"] >= wait + 1


async def test_checkins_count_in_the_venues_district(client):  # type: ignore[no-untyped-def]
    import pytest

    from bot.services.declarations.checkins import VenueError, add_venue, record_checkin, venue_for

    hub = client.app[HUB_KEY]
    svc = declarations(hub)
    with pytest.raises(VenueError, match="district"):
        await add_venue(svc, "mall-x", "某商场", "pudong")
    venue = await venue_for(svc, await add_venue(svc, "mall-3", "王家湾摩尔城", "hanyang"))
    assert venue is not None and venue.district == "hanyang"
    now = hub.clock.now()
    for n in range(4):
        await record_checkin(svc, venue, f"s{n}", now)
    view = summary(await read(hub, city_day(hub.settings, now), now), hub.settings, "hanyang")
    assert view["checkins"]["total"] == 4
    assert view["checkins"]["venues"] == [{"district": "hanyang", "venue": "mall-3", "count": 4}]
    [row] = [d for d in view["districts"] if d["district"] == "hanyang"]
    assert row["checkins"] == 4
    assert summary(await read(hub, city_day(hub.settings, now), now), hub.settings,
                   "wuchang")["checkins"]["total"] == 0
