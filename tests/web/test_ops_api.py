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
    for path in ("/api/v1/ops/summary", "/api/v1/ops/stream", "/api/v1/ops/report"):
        assert (await client.get(path)).status == 401
        assert (await client.get(path, headers=resident)).status == 401
        assert (await client.get(path, headers=reviewer)).status == 403
    admin = await staff_login(client, "adm1", "admin")
    for query in ("format=xls", "date=2020-13-01", "date=yesterday"):
        resp = await client.get(f"/api/v1/ops/report?{query}", headers=admin)
        assert resp.status == 422 and (await resp.json())["message_zh"]


async def test_stream_delivers_a_change(client):  # type: ignore[no-untyped-def]
    officer = await staff_login(client, "officer2", "health_officer", district="hongshan")
    resp = await client.get("/api/v1/ops/stream", headers=officer)
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/event-stream")

    async def next_data() -> dict:
        while True:
            line = (await resp.content.readline()).decode()
            if line.startswith("data: "):
                return json.loads(line[6:])

    first = await asyncio.wait_for(next_data(), 10)
    assert first["district"] == "hongshan" and first["declarations"]["total"] == 0
    await _declare(client, 3, "jiangan")  # another district: nothing for this stream
    await _declare(client, 4, "hongshan", "珞南街")
    changed = await asyncio.wait_for(next_data(), 10)
    assert changed["declarations"]["total"] == 1 and changed["district"] == "hongshan"
    resp.close()


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
