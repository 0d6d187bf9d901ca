"""The reviewer's side: queue, detail, decisions, the state machine, notices in the
firm's language, district scoping and who may call what."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from filing_support import body
from sqlalchemy.exc import DBAPIError
from staff_support import staff_login

from bot.db.models.filings import FilingHistory
from bot.services.staff import read_audit


async def file(api: Any, n: int = 1, headers: dict[str, str] | None = None,
               **changes: Any) -> dict[str, Any]:
    resp = await api.client.post("/api/v1/filings", json=body(n, **changes),
                                 headers=headers or api.resident)
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def messages(api: Any, headers: dict[str, str]) -> list[str]:
    resp = await api.client.get("/api/v1/messages", headers=headers)
    return [m["text"] for m in (await resp.json())["messages"]]


async def test_return_resubmit_approve_with_history_notices_and_audit(api) -> None:
    filed = await file(api)
    rev = await staff_login(api.client, "rev_ja", "reviewer", district="jiangan")
    url = f"/api/v1/filings/{filed['id']}"
    seen = await (await api.client.get(url, headers=rev)).json()
    assert seen["version"] == 1 and seen["contact_name"] == "王小明"
    assert [h["state"] for h in seen["history"]] == ["submitted"] and seen["flags"] == []
    await messages(api, api.resident)  # the receipt of the filing
    resp = await api.client.post(url + "/decision", headers=rev, json={
        "decision": "return", "reason": "请补充隔离室照片", "version": 1})
    assert resp.status == 200, await resp.text()
    returned = await resp.json()
    assert returned["state"] == "returned" and returned["version"] == 2
    [notice] = await messages(api, api.resident)
    assert "退回" in notice and "请补充隔离室照片" in notice and "重新提交" in notice
    resp = await api.client.put(url, json=body(isolation_rooms=3), headers=api.resident)
    assert resp.status == 200 and (await resp.json())["state"] == "submitted"
    stale = await api.client.post(url + "/decision", headers=rev, json={
        "decision": "approve", "reason": "同意", "version": 2})
    assert stale.status == 409 and (await stale.json())["error"] == "stale"
    resp = await api.client.post(url + "/decision", headers=rev, json={
        "decision": "approve", "reason": "材料齐全，同意复工", "version": 3})
    assert resp.status == 200
    approved = await resp.json()
    assert approved["state"] == "approved" and approved["notice_no"] == "JIANGAN-00001"
    assert approved["isolation_rooms"] == 3
    again = await api.client.post(url + "/decision", headers=rev, json={
        "decision": "reject", "reason": "再看看"})
    assert again.status == 409 and (await again.json())["error"] == "not_submitted"
    detail = await (await api.client.get(url, headers=rev)).json()
    assert [(h["state"], h["actor"]) for h in detail["history"]] == [
        ("submitted", "firm"), ("returned", "staff:rev_ja"), ("submitted", "firm"),
        ("approved", "staff:rev_ja")]
    assert detail["history"][1]["reason"] == "请补充隔离室照片"
    texts = await messages(api, api.resident)
    assert any("JIANGAN-00001" in t and "材料齐全" in t for t in texts)
    actions = [(e.action, e.object) for e in await read_audit(api.hub, actor="staff:rev_ja")]
    assert ("filing.approve", f"filing:{filed['id']}") in actions
    assert ("filing.return", f"filing:{filed['id']}") in actions


async def test_the_notice_is_in_the_firms_language(api) -> None:
    headers, _ = await api.new_resident()
    resp = await api.client.post("/api/v1/chat", json={"text": "hello"}, headers=headers)
    assert resp.status == 200
    filed = await file(api, 2, headers)
    rev = await staff_login(api.client, "rev_ja", "reviewer", district="jiangan")
    await api.client.post(f"/api/v1/filings/{filed['id']}/decision", headers=rev,
                          json={"decision": "reject", "reason": "capacity plan unsafe"})
    texts = await messages(api, headers)
    rejected = [t for t in texts if "capacity plan unsafe" in t]
    assert rejected and "Not approved" in rejected[0] and "未通过" not in rejected[0]
    # a firm that never chatted in English hears Chinese
    zh = await file(api, 3)
    await api.client.post(f"/api/v1/filings/{zh['id']}/decision", headers=rev,
                          json={"decision": "reject", "reason": "不符合条件"})
    assert any("未通过" in t and "不符合条件" in t for t in await messages(api, api.resident))


@pytest.mark.parametrize("decision,code", [
    ({"decision": "approve"}, ("reason", "required")),
    ({"decision": "approve", "reason": "  "}, ("reason", "required")),
    ({"decision": "allow", "reason": "ok"}, ("decision", "not_allowed")),
    ({"reason": "ok"}, ("decision", "not_allowed")),
    ({"decision": "approve", "reason": "ok", "version": "1"}, ("version", "not_integer")),
])
async def test_bad_decisions_are_422_and_change_nothing(api, decision, code) -> None:
    filed = await file(api)
    rev = await staff_login(api.client, "rev", "reviewer")
    url = f"/api/v1/filings/{filed['id']}"
    resp = await api.client.post(url + "/decision", headers=rev, json=decision)
    assert resp.status == 422
    assert (code[0], code[1]) in {(e["field"], e["error"])
                                  for e in (await resp.json())["errors"]}
    after = await (await api.client.get(url, headers=rev)).json()
    assert after["state"] == "submitted" and after["version"] == 1


async def test_district_scope_auditors_and_residents(api) -> None:
    filed = await file(api)  # jiangan
    url = f"/api/v1/filings/{filed['id']}"
    decision = {"decision": "approve", "reason": "ok"}
    other = await staff_login(api.client, "rev_wc", "reviewer", district="wuchang")
    assert (await api.client.get(url, headers=other)).status == 404
    assert (await api.client.post(url + "/decision", headers=other, json=decision)).status == 404
    listed = await (await api.client.get("/api/v1/filings", headers=other)).json()
    assert listed == {"items": [], "next_cursor": None}
    asked = await api.client.get("/api/v1/filings?district=jiangan", headers=other)
    assert (await asked.json())["items"] == []
    auditor = await staff_login(api.client, "aud", "auditor")
    assert (await api.client.get(url, headers=auditor)).status == 200
    resp = await api.client.post(url + "/decision", headers=auditor, json=decision)
    assert resp.status == 403
    store = await staff_login(api.client, "officer", "health_officer")
    for headers, status in ((api.resident, 401), ({}, 401), (store, 403)):
        assert (await api.client.get("/api/v1/filings", headers=headers)).status == status
        assert (await api.client.get(url, headers=headers)).status == status
        resp = await api.client.post(url + "/decision", headers=headers, json=decision)
        assert resp.status == status
    admin = await staff_login(api.client, "boss", "admin")
    assert (await api.client.post(url + "/decision", headers=admin, json=decision)).status == 200


async def test_flags_filters_and_keyset_pages(api) -> None:
    flagged = await file(api, 1, staff_risk_14d=3, isolation_rooms=0, capacity_percent=90,
                         supplies_days={"masks": 3, "thermometers": 30, "disinfectant": 30})
    assert {f["id"] for f in flagged["flags"]} == {"risk_staff_no_isolation", "masks_short",
                                                   "capacity_week_one"}
    for n in range(2, 6):
        await file(api, n, industry="retail" if n % 2 else "catering")
    rev = await staff_login(api.client, "rev", "reviewer", district="jiangan")
    detail = await (await api.client.get(f"/api/v1/filings/{flagged['id']}",
                                         headers=rev)).json()
    masks = [f for f in detail["flags"] if f["id"] == "masks_short"]
    assert masks and masks[0]["zh"] and masks[0]["en"]
    seen, cursor = [], None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = await (await api.client.get("/api/v1/filings" + query, headers=rev)).json()
        seen += [i["id"] for i in page["items"]]
        assert "contact_name" not in str(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and seen == sorted(seen)

    async def ids(query: str) -> list[int]:
        resp = await api.client.get("/api/v1/filings?" + query, headers=rev)
        assert resp.status == 200, await resp.text()
        return [i["id"] for i in (await resp.json())["items"]]

    assert await ids("flag=masks_short") == [flagged["id"]]
    assert len(await ids("industry=retail")) == 2
    assert await ids("q=第1机械") == [flagged["id"]]
    assert await ids("q=" + flagged["uscc"].lower()) == [flagged["id"]]
    assert await ids("state=approved") == []
    for bad in ("state=open", "district=pudong", "cursor=abc", "limit=0"):
        assert (await api.client.get("/api/v1/filings?" + bad, headers=rev)).status == 422


async def test_history_is_append_only_in_the_database(api) -> None:
    await file(api)
    for stmt in (sa.update(FilingHistory).values(reason="rewritten"), sa.delete(FilingHistory)):
        with pytest.raises(DBAPIError, match="append-only"):
            async with api.hub.db.write() as session:
                await session.execute(stmt)
    async with api.hub.db.sessions() as session:
        assert (await session.scalar(sa.select(FilingHistory.reason))) is None
