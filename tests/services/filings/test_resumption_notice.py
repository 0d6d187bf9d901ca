"""The approval notice of a filing: signed from the approval alone (same claims on every
view, nothing written), the firm's link, staff access by role and district, expiry, key
rotation, and ``POST /api/v1/verify`` on a notice. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

import cbor2
import sqlalchemy as sa
from conftest import Api
from filing_support import body
from staff_support import staff_login

import codes
from bot.db.base import Base
from bot.services.declarations import declarations
from bot.services.filings import decide, submit
from bot.services.filings.errors import FilingError
from bot.services.notice_links import filing_of_token, link_token, notice_path, notice_url
from bot.services.resumption_notice import NOTICE_VALID, notice_for


async def approved(api: Api, n: int = 1, **changes: Any) -> int:
    row = await submit(api.ctx, body(n, **changes), user_key=f"web:{api.user_id}", lang="zh")
    api.clock.advance(hours=2)
    await decide(api.ctx, row.id, "approve", "材料齐全", actor="staff:li", scope=None)
    return row.id


def verifier(api: Api) -> codes.Verifier:
    store = declarations(api.hub).signing.store
    return codes.Verifier(trust_list=store.trust_list(at=api.clock.now()))


async def row_counts(api: Api) -> dict[str, int]:
    async with api.hub.db.sessions() as session:
        return {t.name: await session.scalar(sa.select(sa.func.count()).select_from(t)) or 0
                for t in Base.metadata.sorted_tables}


def page_code(html: str) -> str:
    match = re.search(r'data-code="([^"]+)"', html)
    assert match, html
    return unescape(match.group(1))


async def test_the_notice_states_the_approval_and_verifies(api: Api) -> None:
    filing_id = await approved(api, firm_name="武汉江城精密机械制造有限责任公司第二分公司（汉口）"
                               "华中区域生产基地暨物流配送中心与研发中心")
    notice = await notice_for(api.hub, filing_id)
    verdict = verifier(api).verify_notice(notice.text, at=api.clock.now())
    assert verdict.valid, verdict
    claims = verdict.claims
    assert claims["notice_no"] == notice.notice_no == "JIANGAN-00001"
    assert claims["district"] == "江岸区 Jiang'an" and claims["uscc"] == notice.uscc
    assert claims["approved_on"] == "2020-02-10"
    assert len(claims["firm_name"]) == codes.notice.MAX_FIRM_NAME
    assert claims["firm_name"].endswith("…") and notice.firm_name.startswith(
        claims["firm_name"][:-1])
    assert notice.expires_at - notice.approved_at == NOTICE_VALID
    # a health-code verifier does not take it
    assert verifier(api).verify(notice.text, at=api.clock.now()).reason == "not_a_health_code"


async def test_every_view_states_the_same_and_writes_nothing(api: Api) -> None:
    filing_id = await approved(api)
    before = await row_counts(api)
    api.clock.advance(hours=5)
    first = await notice_for(api.hub, filing_id)
    resp = await api.client.get(notice_path(api.hub, filing_id))
    assert resp.status == 200
    second = page_code(await resp.text())
    payloads = [cbor2.loads(codes.open_code(t)[1].payload) for t in (first.text, second)]
    assert payloads[0] == payloads[1]
    assert await row_counts(api) == before


async def test_only_an_approved_filing_has_a_notice(api: Api) -> None:
    row = await submit(api.ctx, body(2), user_key=f"web:{api.user_id}", lang="zh")
    try:
        await notice_for(api.hub, row.id)
    except FilingError as err:
        assert (err.status, err.code) == (409, "not_approved")
    else:
        raise AssertionError("a submitted filing got a notice")
    resp = await api.client.get(notice_path(api.hub, row.id))
    assert resp.status == 409 and "尚未批准" in await resp.text()
    await decide(api.ctx, row.id, "reject", "不符合条件", actor="staff:li", scope=None)
    assert (await api.client.get(notice_path(api.hub, row.id))).status == 409


async def test_the_firm_link(api: Api) -> None:
    filing_id = await approved(api)
    token = link_token(api.hub, filing_id)
    assert filing_of_token(api.hub, token) == filing_id
    assert notice_url(api.hub, filing_id) == f"http://testserver/notice/{token}"
    resp = await api.client.get(f"/notice/{token}")
    page = await resp.text()
    assert resp.status == 200 and "武汉第1机械厂" in page and "JIANGAN-00001" in page
    assert "<svg" in page and "@media print" in page and "Resumption notice" in page
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    wrong = token[:-1] + ("0" if token[-1] != "0" else "1")
    other = f"{filing_id + 1}-{token.split('-')[1]}"
    for bad in (wrong, other):
        assert filing_of_token(api.hub, bad) is None
        resp = await api.client.get(f"/notice/{bad}")
        assert resp.status == 404 and "链接无效" in await resp.text()


async def test_staff_by_role_and_district(api: Api) -> None:
    filing_id = await approved(api)
    path = f"/notice/{filing_id}"
    assert (await api.client.get(path)).status == 401
    assert (await api.client.get(path, headers=api.resident)).status == 401
    logins = {
        "near": await staff_login(api.client, "near", "reviewer", district="jiangan"),
        "far": await staff_login(api.client, "far", "reviewer", district="jianghan"),
        "auditor": await staff_login(api.client, "audit", "auditor"),
        "admin": await staff_login(api.client, "boss", "admin"),
        "worker": await staff_login(api.client, "worker1", "community_worker"),
    }
    expected = {"near": 200, "far": 404, "auditor": 200, "admin": 200, "worker": 403}
    for who, status in expected.items():
        resp = await api.client.get(path, headers=logins[who])
        assert resp.status == status, (who, await resp.text())
    assert (await api.client.get("/notice/999999", headers=logins["admin"])).status == 404


async def test_expiry_and_key_rotation(api: Api) -> None:
    filing_id = await approved(api)
    first = await notice_for(api.hub, filing_id)
    api.clock.advance(days=3)
    declarations(api.hub).signing.store.rotate(at=api.clock.now())
    again = await notice_for(api.hub, filing_id)
    assert again.issued_at == api.clock.now() and again.expires_at == first.expires_at
    assert verifier(api).verify_notice(again.text, at=api.clock.now()).valid
    api.clock.current = first.expires_at + timedelta(seconds=1)
    resp = await api.client.get(notice_path(api.hub, filing_id))
    page = await resp.text()
    assert resp.status == 200 and 'id="expired"' in page and "<svg" not in page


async def test_post_verify_recognises_a_notice(api: Api) -> None:
    filing_id = await approved(api)
    notice = await notice_for(api.hub, filing_id)
    resp = await api.client.post("/api/v1/verify", json={"code": notice.text})
    data = await resp.json()
    assert data["valid"] and data["format"] == "TGN1" and "cti" not in data["claims"]
    assert data["claims"]["type"] == "resumption_notice"
    assert data["message_zh"] == "有效的复工通知。"
    forged = "TG1:" + notice.text[5:]
    data = await (await api.client.post("/api/v1/verify", json={"code": forged})).json()
    assert not data["valid"] and data["reason"] == "not_a_health_code"


async def test_the_firm_gets_its_link_in_chat_and_in_mine(api: Api) -> None:
    filing_id = await approved(api)
    link = notice_url(api.hub, filing_id)
    resp = await api.client.get("/api/v1/messages", headers=api.resident)
    texts = [m["text"] for m in (await resp.json())["messages"]]
    [approval] = [t for t in texts if "已批准" in t]
    assert approval.endswith(f"可打印的复工通知：{link}")
    mine = await (await api.client.get("/api/v1/filings/mine", headers=api.resident)).json()
    assert [item.get("notice_url") for item in mine["items"]] == [link]
    # a filing not approved has no link, in chat or in mine
    other = await submit(api.ctx, body(2), user_key=f"web:{api.user_id}", lang="zh")
    mine = await (await api.client.get("/api/v1/filings/mine", headers=api.resident)).json()
    assert {item["id"]: item.get("notice_url") for item in mine["items"]} == {
        filing_id: link, other.id: None}
