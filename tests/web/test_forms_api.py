"""Forms made in the studio (issue 15 §2): the template's flow, the share link, the
count and the exports (identity answers in clear for admins only, masked for auditors,
every export audited); bad template answers; wrong callers. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from bot.services.staff import read_audit
from bot.web.keys import HUB_KEY
from tests.staff_support import staff_login
from tests.web.test_chat_api import say, session

ID = "11010519491231002X"
SPEC = {"name": "pass_request", "title": {"zh": "通行证申请", "en": "Pass request"},
        "audience": "anyone", "questions": [
            {"type": "id_number", "id": "id_no", "label": {"zh": "身份证号", "en": "ID"}},
            {"type": "phone", "id": "phone", "label": {"zh": "手机", "en": "Phone"}},
            {"type": "choice", "id": "reason", "label": {"zh": "事由", "en": "Reason"},
             "options": [{"zh": "上班", "en": "Work"}, {"zh": "就医", "en": "Doctor"}]},
            {"type": "yes_no", "id": "fever", "label": {"zh": "发热", "en": "Fever"}}]}


async def launch(client, admin):  # type: ignore[no-untyped-def]
    made = await client.post("/api/v1/admin/flow-templates/form", headers=admin, json=SPEC)
    assert made.status == 200, await made.text()
    text = (await made.json())["yaml"]
    resp = await client.post("/api/v1/admin/flows/pass_request/publish", headers=admin,
                             json={"yaml": text, "note": "", "base_version": None})
    assert resp.status == 201, await resp.text()


async def test_a_form_from_the_template_is_submitted_and_exported(client):  # type: ignore[no-untyped-def]
    admin = await staff_login(client, "wang", "admin")
    auditor = await staff_login(client, "qian", "auditor")
    await launch(client, admin)
    link = await client.get("/f/pass_request", allow_redirects=False)
    assert link.status == 302 and link.headers["Location"] == "/chat?start=pass_request"
    resident = await session(client)
    assert "身份证号" in (await say(client, resident, {"start": "pass_request"}))[0]["text"]
    for answer in (ID, "13812345678", "2", "否"):
        await say(client, resident, {"text": answer})
    done = await say(client, resident, {"text": "确认"})
    assert "已提交" in done[-1]["text"]

    url = "/api/v1/admin/flows/pass_request"
    count = await (await client.get(url + "/submissions", headers=auditor)).json()
    assert count["count"] == 1 and count["share_url"] == "http://testserver/f/pass_request"

    clear = (await (await client.get(url + "/submissions.csv", headers=admin)).read())
    row = next(csv.DictReader(io.StringIO(clear.decode("utf-8-sig"))))
    assert (row["id_no"], row["phone"], row["reason"], row["fever"]) == (
        ID, "13812345678", "2", "no")
    masked = (await (await client.get(url + "/submissions.csv", headers=auditor)).read())
    row = next(csv.DictReader(io.StringIO(masked.decode("utf-8-sig"))))
    assert (row["id_no"], row["phone"]) == ("1101…002X", "138****5678")
    assert ID not in masked.decode("utf-8-sig")

    xlsx = await client.get(url + "/submissions.xlsx", headers=admin)
    assert xlsx.status == 200
    sheet = load_workbook(io.BytesIO(await xlsx.read())).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("id", "created_at", "lang") and values[1][3] == ID

    poster = await client.get(url + "/poster.png", headers=auditor)
    assert poster.status == 200 and (await poster.read())[:4] == b"\x89PNG"
    exports = [(e.actor, e.detail) for e in await read_audit(client.server.app[HUB_KEY])
               if e.action == "flows.export"]
    assert [(a, d["format"], d["identity_in_clear"]) for a, d in reversed(exports)] == [
        ("staff:wang", "csv", True), ("staff:qian", "csv", False),
        ("staff:wang", "xlsx", True)]


async def test_a_wechat_scene_code_starts_the_form(client):  # type: ignore[no-untyped-def]
    from bot.messages import Inbound

    await launch(client, await staff_login(client, "wang", "admin"))
    engine = client.server.app[HUB_KEY].require_engine()
    replies = await engine.handle(Inbound(channel="wechat", user_id="o_poster", kind="start",
                                          trigger="scene", value="pass_request:poster"))
    assert "身份证号" in replies[0].text


async def test_bad_template_answers_are_refused(client):  # type: ignore[no-untyped-def]
    admin = await staff_login(client, "wang", "admin")
    url = "/api/v1/admin/flow-templates/form"
    bad = [
        {**SPEC, "name": "Bad Name"},
        {**SPEC, "title": {"zh": "只有中文"}},
        {**SPEC, "questions": []},
        {**SPEC, "questions": [{"type": "colour", "label": {"zh": "a", "en": "b"}}]},
        {**SPEC, "questions": [{"type": "choice", "label": {"zh": "a", "en": "b"},
                                "options": [{"zh": "一", "en": "one"}]}]},
        {**SPEC, "audience": "district", "district": "atlantis"},
        {**SPEC, "questions": [SPEC["questions"][0], SPEC["questions"][0]]},
    ]
    for spec in bad:
        resp = await client.post(url, headers=admin, json=spec)
        assert resp.status == 422, spec
        body = await resp.json()
        assert body["message"] and body["message_zh"]
    choices = await (await client.get(url, headers=admin)).json()
    assert choices["question_types"]["id_number"] == "id_number"
    assert {"code": "jiangan", "zh": "江岸区", "en": "Jiang'an"} in choices["districts"]


async def test_a_district_form_turns_away_other_residents(client):  # type: ignore[no-untyped-def]
    admin = await staff_login(client, "wang", "admin")
    spec = {**SPEC, "audience": "district", "district": "jiangan", "confirm": False}
    made = await (await client.post("/api/v1/admin/flow-templates/form", headers=admin,
                                    json=spec)).json()
    assert (await client.post("/api/v1/admin/flows/pass_request/publish", headers=admin,
                              json={"yaml": made["yaml"], "note": "",
                                    "base_version": None})).status == 201
    resident = await session(client)
    assert "江岸区" in (await say(client, resident, {"start": "pass_request"}))[0]["text"]
    turned = await say(client, resident, {"text": "不是"})
    assert "仅供江岸区居民" in turned[0]["text"]


async def test_wrong_callers(client):  # type: ignore[no-untyped-def]
    resident = await session(client)
    reviewer = await staff_login(client, "zhao", "reviewer")
    auditor = await staff_login(client, "qian", "auditor")
    url = "/api/v1/admin/flows/pass_request"
    for headers, status in ((resident, 401), (reviewer, 403), ({}, 401)):
        for path in ("/submissions", "/submissions.csv", "/submissions.xlsx", "/poster.png"):
            assert (await client.get(url + path, headers=headers)).status == status, path
    assert (await client.post("/api/v1/admin/flow-templates/form", headers=auditor,
                              json=SPEC)).status == 403
