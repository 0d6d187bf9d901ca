"""The operations view's API: roles and district scope, the live stream, the report."""

from __future__ import annotations

import asyncio
import json
import random

from pdf_support import pdf_text
from staff_support import staff_login

from bot.services.declarations import Person, declarations, declare
from bot.web.keys import HUB_KEY

WEIGHTS = (7, 9, 10, 5, 8, 4, 3, 2, 1, 7, 9, 10, 5, 8, 4, 3, 2)


def id_number(n: int) -> str:
    body = f"420106199001{n % 28 + 1:02d}{n % 1000:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS,
                                                                 strict=True)) % 11]


async def _declare(client, n: int, district: str, street: str = "中南路街") -> None:  # type: ignore[no-untyped-def]
    await declare(declarations(client.app[HUB_KEY]), person=Person("赵六", id_number(n), None),
                  answers={"district": district, "street": street, "temperature": 36.5,
                           "symptoms": ["none"], "travel": ["none"], "contact": False,
                           "quarantine": "free"}, user_key=f"web:o{n}", proxy=False)


async def test_summary_roles_and_district_scope(client):  # type: ignore[no-untyped-def]
    await _declare(client, 1, "wuchang")
    await _declare(client, 2, "jiangan")
    officer = await staff_login(client, "officer1", "health_officer")
    resp = await client.get("/api/v1/ops/summary", headers=officer)
    assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
    city = await resp.json()
    assert city["district"] is None and city["declarations"]["total"] == 2
    assert set(city["declarations"]) >= {"total", "green", "yellow", "red"}
    assert city["date"] and city["timezone"] == "Asia/Shanghai"
    local = await staff_login(client, "wc_officer", "auditor", district="wuchang")
    mine = await (await client.get("/api/v1/ops/summary", headers=local)).json()
    assert mine["district"] == "wuchang" and mine["declarations"]["total"] == 1
    assert [d["district"] for d in mine["districts"]] == ["wuchang"]
    same = await client.get("/api/v1/ops/summary?district=wuchang", headers=local)
    assert same.status == 200
    other = await client.get("/api/v1/ops/summary?district=jiangan", headers=local)
    assert other.status == 403 and (await other.json())["error"] == "other_district"
    for path in ("/api/v1/ops/stream?district=jiangan",
                 "/api/v1/ops/report?district=jiangan&format=csv"):
        assert (await client.get(path, headers=local)).status == 403
    bad = await client.get("/api/v1/ops/summary?district=nowhere", headers=officer)
    body = await bad.json()
    assert bad.status == 422 and body["message"] and body["message_zh"]


async def test_wrong_callers(client):  # type: ignore[no-untyped-def]
    reviewer = await staff_login(client, "rev1", "reviewer")
    session = await (await client.post("/api/v1/sessions", json={})).json()
    resident = {"Authorization": f"Bearer {session['token']}"}
    for path in ("/api/v1/ops/summary", "/api/v1/ops/stream", "/api/v1/ops/report",
                 "/api/v1/ops/buildings"):
        assert (await client.get(path)).status == 401
        assert (await client.get(path, headers=resident)).status == 401
        assert (await client.get(path, headers=reviewer)).status == 403
    admin = await staff_login(client, "adm1", "admin")
    for query in ("format=xls", "date=2020-13-01", "date=yesterday"):
        resp = await client.get(f"/api/v1/ops/report?{query}", headers=admin)
        assert resp.status == 422 and (await resp.json())["message_zh"]


def _no_nulls(value):  # type: ignore[no-untyped-def]
    """A document as merge patches leave it (RFC 7386 cannot set a member to null)."""
    if isinstance(value, dict):
        return {k: _no_nulls(v) for k, v in value.items() if v is not None}
    return value


async def test_stream_delivers_a_change(client):  # type: ignore[no-untyped-def]
    from bot.services.ops.merge import apply_patch

    officer = await staff_login(client, "officer2", "health_officer", district="hongshan")
    resp = await client.get("/api/v1/ops/stream", headers=officer)
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/event-stream")

    async def next_event() -> tuple[str, dict]:
        event = "message"
        while True:
            line = (await resp.content.readline()).decode()
            if line.startswith("event: "):
                event = line[7:].strip()
            if line.startswith("data: "):
                return event, json.loads(line[6:])

    kind, first = await asyncio.wait_for(next_event(), 10)
    assert kind == "message"  # the whole summary first
    assert first["district"] == "hongshan" and first["declarations"]["total"] == 0
    await _declare(client, 3, "jiangan")  # another district: nothing for this stream
    await _declare(client, 4, "hongshan", "珞南街")
    kind, changed = await asyncio.wait_for(next_event(), 10)
    assert kind == "patch" and changed["declarations"]["total"] == 1
    assert changed["district"] == "hongshan" and changed["date"] == first["date"]
    assert "trend" in changed and "stock" not in changed  # what changed, not the rest
    merged = apply_patch(first, changed)
    now = await (await client.get("/api/v1/ops/summary", headers=officer)).json()

    def same(a: dict, b: dict) -> bool:
        return {**_no_nulls(a), "generated_at": 0} == {**_no_nulls(b), "generated_at": 0}

    # the counters come at once; the tables (the street's row) at most 1.5 s later
    while not same(merged, now):
        kind, more = await asyncio.wait_for(next_event(), 10)
        assert kind == "patch" and more.keys() - {"date", "district", "generated_at"} <= {
            "streets", "screenings", "buildings", "checkins"}, more.keys()
        merged = apply_patch(merged, more)
    assert [s["declarations"] for s in merged["streets"]] == ["<3"]
    await _declare(client, 5, "hongshan", "珞南街")
    await _declare(client, 6, "hongshan", "珞南街")
    kind, more = await asyncio.wait_for(next_event(), 10)
    merged = apply_patch(merged, more)
    while merged["declarations"]["total"] < 3:  # the two came in one patch or in two
        kind, more = await asyncio.wait_for(next_event(), 10)
        merged = apply_patch(merged, more)
    assert kind == "patch" and merged["declarations"]["total"] == 3
    resp.close()


async def test_every_building_by_page(client):  # type: ignore[no-untyped-def]
    """The summary lists the top buildings; every one is on GET /api/v1/ops/buildings:
    filtered by community, sorted, by page, small cells "<3", district scope."""
    from bot.services.ops.counters import DECLARATIONS, SCREENINGS, Tally, color_metric, count
    from bot.services.ops.summary import TOP_BUILDINGS

    hub = client.app[HUB_KEY]
    street, other = "中南路街 东湖社区", "水果湖街"
    plan = [(street, f"{b}号楼", b + 3) for b in range(TOP_BUILDINGS + 2)] + [
        (other, "1号楼", 4), (street, "99号楼", 1)]  # 99号楼: every count small
    async with hub.db.sessions.begin() as session:
        for name, place, n in plan:
            await count(session, hub.clock.now(),
                        Tally(DECLARATIONS, n, "wuchang", name, place),
                        Tally(color_metric("red"), n - 3, "wuchang", name, place),
                        Tally(SCREENINGS, 1, "wuchang", name, place))
        await count(session, hub.clock.now(), Tally(DECLARATIONS, 5, "jiangan", "花桥街", "7号楼"))
    admin = await staff_login(client, "adm_b", "admin")
    city = await (await client.get("/api/v1/ops/summary", headers=admin)).json()
    assert len(city["buildings"]) == TOP_BUILDINGS  # the most yellow/red first
    assert [b["place"] for b in city["buildings"][:2]] == [f"{TOP_BUILDINGS + 1}号楼",
                                                          f"{TOP_BUILDINGS}号楼"]
    resp = await client.get("/api/v1/ops/buildings?district=wuchang&limit=5", headers=admin)
    assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
    page = await resp.json()
    assert page["total"] == TOP_BUILDINGS + 2 + 1 + 1  # and the "other" row of 99号楼
    assert page["date"] == city["date"] and page["district"] == "wuchang"
    assert [r["place"] for r in page["items"]] == [f"{n}号楼" for n in range(11, 6, -1)]
    top = page["items"][0]
    assert top["declarations"] == 14 and top["red"] == 11 and top["yellow_red"] == 11
    assert top["screenings"] == "<3" and top["households"] == 0
    names = {r["place"]: r for r in (await (await client.get(
        "/api/v1/ops/buildings?district=wuchang&limit=500", headers=admin)).json())["items"]}
    assert "99号楼" not in names and names[""]["name"] == "(其他 / other)"
    page2 = await (await client.get("/api/v1/ops/buildings?district=wuchang&limit=5&offset=5",
                                    headers=admin)).json()
    # 1号楼 and 2号楼 both show "<3": one rank, whatever it hides (then by name)
    assert [r["place"] for r in page2["items"]] == ["6号楼", "5号楼", "4号楼", "3号楼", "1号楼"]
    asc = await (await client.get(
        f"/api/v1/ops/buildings?community={other}&sort=declarations&order=asc",
        headers=admin)).json()
    assert asc["total"] == 1 and asc["items"][0]["name"] == other
    everyone = await (await client.get("/api/v1/ops/buildings?sort=place&order=asc&limit=500",
                                       headers=admin)).json()
    assert {r["district"] for r in everyone["items"]} == {"wuchang", "jiangan"}
    local = await staff_login(client, "wc_b", "health_officer", district="wuchang")
    mine = await (await client.get("/api/v1/ops/buildings?limit=500", headers=local)).json()
    assert {r["district"] for r in mine["items"]} == {"wuchang"}
    assert (await client.get("/api/v1/ops/buildings?district=jiangan",
                             headers=local)).status == 403
    for query in ("sort=age", "order=up", "limit=0x", "limit=501", "offset=-1",
                  "district=nowhere"):
        bad = await client.get(f"/api/v1/ops/buildings?{query}", headers=admin)
        assert bad.status == 422 and (await bad.json())["message_zh"], query
    reviewer = await staff_login(client, "rev_b", "reviewer")
    assert (await client.get("/api/v1/ops/buildings", headers=reviewer)).status == 403
    assert (await client.get("/api/v1/ops/buildings")).status == 401
    spec = await (await client.get("/api/v1/openapi.json")).json()
    assert "/api/v1/ops/buildings" in spec["paths"]


async def test_report_has_the_days_numbers(client):  # type: ignore[no-untyped-def]
    rng = random.Random(4)
    total = rng.randrange(3, 7)
    for i in range(total):
        await _declare(client, 10 + i, "qiaokou", "汉中街")
    admin = await staff_login(client, "adm2", "admin")
    summary = await (await client.get("/api/v1/ops/summary", headers=admin)).json()
    html = await (await client.get("/api/v1/ops/report?format=html", headers=admin)).text()
    assert f'<b id="report-date">{summary["date"]}</b>' in html
    assert f'data-field="declarations.total">合计 total<b>{total}</b>' in html
    assert "汉中街" in html and "<svg" in html
    csv_text = await (await client.get(
        f"/api/v1/ops/report?format=csv&date={summary['date']}&district=qiaokou",
        headers=admin)).text()
    assert f"declarations,qiaokou,total,{total}" in csv_text
    pdf = await client.get("/api/v1/ops/report?format=pdf", headers=admin)
    body = await pdf.read()
    assert pdf.status == 200 and body.startswith(b"%PDF") and len(body) > 2000
    shown = pdf_text(body)
    assert any(f"日期 Date: {summary['date']}" in s for s in shown)
    at = shown.index("健康申报 · Declarations")
    assert shown[at + 1] == "合计 total" and shown[at + 5] == str(total)
    assert "汉中街" in " ".join(shown)  # the street table
    audit = await (await client.get("/api/v1/staff/audit?limit=5", headers=admin)).json()
    assert any(e["action"] == "ops.report" for e in audit["items"])



async def test_screenings_by_community_and_building(client):  # type: ignore[no-untyped-def]
    """A screening record counts as its flow's ``params.ops`` says (by district, community
    and building; flows/community_screening.yml), small cells below district shown "<3"."""
    from pathlib import Path

    import yaml

    from bot.services.ops.counters import count, form_tallies

    hub = client.app[HUB_KEY]
    flows = Path(__file__).resolve().parents[2] / "flows"
    flow = yaml.safe_load((flows / "community_screening.yml").read_text(encoding="utf-8"))
    [spec] = [s["params"]["ops"] for s in flow["steps"] if s.get("action") == "records.save"]
    base = {"district": "jiangan", "community": "花桥街一村社区", "unit": None,
            "households_visited": 10, "people_home": 20, "people_returned": 0}
    for building, quarantine in (("12号楼", 2), ("12号楼", 0), ("12号楼", 1), ("3号楼", 1)):
        async with hub.db.sessions.begin() as session:
            await count(session, hub.clock.now(), *form_tallies(spec, {
                **base, "building": building, "people_quarantine": quarantine}))
    officer = await staff_login(client, "officer3", "health_officer", district="jiangan")
    view = await (await client.get("/api/v1/ops/summary", headers=officer)).json()
    screen = view["screenings"]
    assert screen["records"] == 4 and screen["people_quarantine"] == 4  # district: exact
    [community] = screen["communities"]
    assert community["name"] == "花桥街一村社区" and community["records"] == 4
    assert community["households"] == 40 and community["people_quarantine"] == 4
    places = {b["place"]: b for b in screen["buildings"]}
    assert places["12号楼"]["records"] == 3 and places["12号楼"]["people_quarantine"] == 3
    small = places["3号楼"]  # one record, one person in quarantine: shown as "<3"
    assert small["records"] == "<3" and small["people_quarantine"] == "<3"
    assert small["households"] == 10 and small["people_returned"] == 0
    [row] = [d for d in view["districts"] if d["district"] == "jiangan"]
    assert row["screenings"] == 4
    elsewhere = await staff_login(client, "officer4", "health_officer", district="wuchang")
    other = await (await client.get("/api/v1/ops/summary", headers=elsewhere)).json()
    assert other["screenings"]["records"] == 0 and not other["screenings"]["communities"]


async def test_a_screening_through_the_chat_counts_in_its_district_and_community(client):  # type: ignore[no-untyped-def]
    """The screening flow asks the district and the community (社区) before the building;
    its record counts under them, seen by the city and that district's officers only."""
    from tests.roles_support import worker_session
    from tests.web.test_chat_api import say

    worker = await worker_session(client)
    answers = ["楼栋排查", "洪山区", "珞南街 桂元社区", "7号楼", "跳过", "20", "35", "4", "3",
               "跳过", "确认"]
    for text in answers:
        replies = await say(client, worker, {"text": text})
    assert any("已登记 7号楼" in r["text"] for r in replies)
    # a second worker, scoped to the district by their grant, is not asked it
    scoped = await worker_session(client, district="hongshan")
    replies = await say(client, scoped, {"text": "楼栋排查"})
    assert "哪个街道和社区" in replies[-1]["text"]
    for text in ["珞南街 桂元社区", "7号楼", "跳过", "10", "15", "0", "0", "跳过", "确认"]:
        replies = await say(client, scoped, {"text": text})
    assert any("已登记 7号楼" in r["text"] for r in replies)

    officer = await staff_login(client, "officer_hs", "health_officer", district="hongshan")
    view = await (await client.get("/api/v1/ops/summary", headers=officer)).json()
    screen = view["screenings"]
    assert (screen["records"], screen["households"], screen["people_quarantine"],
            screen["people_returned"]) == (2, 30, 4, 3)  # district totals: exact
    [community] = screen["communities"]
    assert (community["district"], community["name"]) == ("hongshan", "珞南街 桂元社区")
    assert community["records"] == "<3" and community["households"] == 30
    [building] = screen["buildings"]
    assert (building["district"], building["name"], building["place"]) == (
        "hongshan", "珞南街 桂元社区", "7号楼")
    assert building["people_quarantine"] == 4 and building["people_returned"] == 3
    [row] = [d for d in view["districts"] if d["district"] == "hongshan"]
    assert row["screenings"] == 2
    [follow_up] = [h for h in view["highlights"] if h["kind"] == "screened_returned"]
    assert (follow_up["district"], follow_up["street"], follow_up["building"],
            follow_up["count"]) == ("hongshan", "珞南街 桂元社区", "7号楼", 3)
    assert "7号楼" in follow_up["zh"] and "7号楼" in follow_up["en"]
    city = await staff_login(client, "officer_city", "health_officer")
    assert (await (await client.get("/api/v1/ops/summary", headers=city)).json())[
        "screenings"]["communities"] == [community]
    elsewhere = await staff_login(client, "officer_wc2", "health_officer", district="wuchang")
    other = await (await client.get("/api/v1/ops/summary", headers=elsewhere)).json()
    assert other["screenings"]["records"] == 0
    assert not other["screenings"]["communities"] and not other["screenings"]["buildings"]
    assert "桂元社区" not in json.dumps(other, ensure_ascii=False)
    csv_text = await (await client.get("/api/v1/ops/report?format=csv",
                                       headers=officer)).text()
    assert "screening,hongshan/珞南街 桂元社区,households,30" in csv_text
    assert "screening_building,hongshan/珞南街 桂元社区/7号楼,people_returned,3" in csv_text
    html = await (await client.get("/api/v1/ops/report?format=html", headers=officer)).text()
    assert ("<td>hongshan / 珞南街 桂元社区 / 7号楼</td><td>&lt;3</td><td>30</td><td>50</td>"
            "<td>4</td><td>3</td>") in html  # screenings by building
