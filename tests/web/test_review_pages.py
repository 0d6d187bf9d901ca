"""The reviewer pages (/review) in Chromium — login, a district's queue with filters,
counts and paging, a filing's detail with flags, return / approve with a reason, a stale
decision, an auditor who only reads, logout — and the counts route."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from browser import ARGS, chromium_path
from staff_support import PASSWORD, staff_login

from bot.clock import CITY_TZ, FixedClock
from bot.config import Settings
from bot.services.filings import decide, filings, resubmit, submit
from bot.services.staff import add_account
from bot.web.app import init_app
from bot.web.auth import create_session
from bot.web.keys import HUB_KEY
from tests.conftest import make_settings

START = datetime(2020, 2, 10, 9, 0, tzinfo=CITY_TZ).astimezone(UTC)
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc(n: int) -> str:
    """A valid USCC (GB 32100 check character computed here) for firm ``n``."""
    first = f"91420100{n:09d}"
    total = sum(ALPHABET.index(c) * w for c, w in zip(first, WEIGHTS, strict=True))
    return first + ALPHABET[(31 - total % 31) % 31]


def filing(n: int, firm: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "firm_name": firm, "uscc": uscc(n), "industry": "manufacturing",
        "district": "jiangan", "street": "花桥街", "address": "解放大道 1号",
        "contact_name": "王小明", "contact_phone": "13812345678", "staff_total": 100,
        "staff_returning": 60, "staff_origins": [{"province": "河南", "city": "信阳",
                                                  "count": 20}],
        "staff_risk_14d": 0, "isolation_rooms": 2, "prevention_lead": "李防疫",
        "supplies_days": {"masks": 14, "thermometers": 30, "disinfectant": 30},
        "planned_start": "2020-02-17", "capacity_percent": 50,
        "needs": ["raw_materials"], "pledge": True}
    data.update(changes)
    return data


#: (firm no., name, changes): three in jiangan (one plain, one short of masks, one with
#: two flags), one in jianghan
FIRMS = [
    (1, "江岸第一机械厂", {}),
    (2, "江岸第二餐馆", {"industry": "catering", "supplies_days": {
        "masks": 3, "thermometers": 30, "disinfectant": 30}}),
    (3, "江岸第三物流公司", {"industry": "logistics", "capacity_percent": 90,
                        "staff_risk_14d": 3, "isolation_rooms": 0}),
    (4, "江汉第四商店", {"industry": "retail", "district": "jianghan"}),
]


async def file_all(hub: Any) -> dict[str, int]:
    ids = {}
    for n, name, changes in FIRMS:
        row = await submit(filings(hub), filing(n, name, **changes), user_key=f"web:firm{n}",
                           lang="zh")
        ids[name] = row.id
    return ids


def sqlite_settings(sqlite_url: str, tmp_path: Path) -> Settings:
    return make_settings(sqlite_url, tmp_path)


async def test_assets_are_served_and_an_unknown_one_is_404(sqlite_url: str, tmp_path: Path,
                                                           aiohttp_client: Any) -> None:
    client = await aiohttp_client(init_app(sqlite_settings(sqlite_url, tmp_path),
                                           clock=FixedClock(START), background=False))
    for path, kind in (("/review", "text/html"), ("/review/index.html", "text/html"),
                       ("/review/review.js", "javascript"), ("/review/review.css", "text/css")):
        resp = await client.get(path)
        assert resp.status == 200, path
        assert kind in resp.headers["Content-Type"] and resp.headers["Cache-Control"] == "no-cache"
    for path in ("/review/nope.js", "/review/..%2Fstore%2Fstore.js", "/review/store.js"):
        assert (await client.get(path)).status == 404, path
    cat = await (await client.get("/review/catalog.json")).json()
    assert [s["value"] for s in cat["states"]][:2] == ["submitted", "approved"]
    assert {"masks_short", "capacity_week_one"} <= {f["value"] for f in cat["flags"]}
    assert all(f["zh"] and f["en"] for f in cat["flags"])


async def test_counts_are_scoped_filtered_and_staff_only(settings: Settings,
                                                        aiohttp_client: Any) -> None:
    client = await aiohttp_client(init_app(settings, clock=FixedClock(START),
                                           background=False))
    hub = client.server.app[HUB_KEY]
    ids = await file_all(hub)
    await decide(filings(hub), ids["江岸第一机械厂"], "approve", "齐全", actor="staff:x",
                 scope=None)
    wang = await staff_login(client, "wang", "reviewer", district="jiangan")
    boss = await staff_login(client, "boss", "admin")

    async def counts(headers: dict[str, str], query: str = "") -> dict[str, Any]:
        resp = await client.get("/api/v1/filings/counts" + query, headers=headers)
        assert resp.status == 200, await resp.text()
        return dict(await resp.json())

    mine = await counts(wang)
    assert mine["total"] == 3
    assert mine["counts"] == {"submitted": 2, "approved": 1, "rejected": 0, "returned": 0,
                              "withdrawn": 0}
    assert (await counts(wang, "?district=jianghan"))["total"] == 0  # scope wins
    assert (await counts(wang, "?flag=masks_short"))["counts"]["submitted"] == 1
    assert (await counts(wang, "?industry=logistics&q=物流"))["total"] == 1
    assert (await counts(wang, "?state=approved"))["total"] == 3  # the state is not a filter
    assert (await counts(boss))["total"] == 4
    assert (await counts(boss, "?district=jianghan"))["counts"]["submitted"] == 1
    assert (await counts(boss, f"?q={uscc(2).lower()}"))["total"] == 1
    bad = await client.get("/api/v1/filings/counts?industry=mining", headers=wang)
    assert bad.status == 422 and (await bad.json())["errors"][0]["field"] == "industry"
    resident, _ = await create_session(hub)
    for headers in ({}, {"Authorization": f"Bearer {resident}"}):
        assert (await client.get("/api/v1/filings/counts", headers=headers)).status == 401
    officer = await staff_login(client, "li.officer", "health_officer", district="jiangan")
    assert (await client.get("/api/v1/filings/counts", headers=officer)).status == 403


async def _login(page: Any, username: str, password: str = PASSWORD) -> None:
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#login-form button")


async def test_reviewer_pages_in_chromium(settings: Settings, aiohttp_server: Any) -> None:
    from playwright.async_api import async_playwright

    browser_path = chromium_path()
    app = init_app(settings, clock=FixedClock(START), background=False)
    server = await aiohttp_server(app)
    hub = app[HUB_KEY]
    ids = await file_all(hub)
    await add_account(hub, "wang", "reviewer", PASSWORD, district="jiangan")
    await add_account(hub, "qian", "auditor", PASSWORD)
    url = str(server.make_url("/review"))

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=browser_path, args=ARGS)
        try:
            # -- a district reviewer on a phone (375 px), two filings a page ----------------
            page = await browser.new_page(viewport={"width": 375, "height": 740})
            await page.goto(url + "?limit=2")
            await page.wait_for_selector("#login:not([hidden])")
            await _login(page, "wang", "not the password")
            await page.wait_for_selector("#login-error:has-text('密码')")
            await _login(page, "wang")
            await page.wait_for_selector("#work:not([hidden])")
            assert "wang" in (await page.text_content("#who") or "")
            assert await page.is_hidden("#f-district-label")  # scoped: no district filter
            await page.wait_for_selector("#list li >> nth=1")
            await page.click("#more")
            await page.wait_for_selector("#list li >> nth=2")
            await page.wait_for_selector("#more", state="hidden")
            names = await page.locator("#list .firm").all_text_contents()
            assert names == ["江岸第一机械厂", "江岸第二餐馆", "江岸第三物流公司"]
            # the counts come from their own call, which may land after the list
            await page.wait_for_selector("#counts:has-text('全部 All 3')")
            counts = await page.text_content("#counts") or ""
            assert "submitted 3" in counts
            # a flag, then a search
            await page.select_option("#f-flag", "masks_short")
            await page.click("#filters button")
            await page.wait_for_function("document.querySelectorAll('#list li').length === 1")
            assert await page.text_content("#list li") and \
                "口罩储备不足7天" in (await page.text_content("#list li") or "")
            await page.select_option("#f-flag", "")
            await page.fill("#f-q", "物流")
            await page.click("#filters button")
            await page.wait_for_selector("#list li >> text=江岸第三物流公司")
            assert await page.locator("#list li").count() == 1
            # the detail: every field, flags with reasons, history
            await page.click("#list li")
            await page.wait_for_selector("#detail:not([hidden])")
            assert await page.is_hidden("#queue-pane")  # phone: one pane at a time
            text = await page.text_content("#detail") or ""
            for shown in ("江岸第三物流公司", uscc(3), "王小明", "13812345678", "李防疫",
                          "信阳", "没有隔离观察室", "More than 80 % capacity", "90 %",
                          "原材料供应"):
                assert shown in text, shown
            assert "待审核" in (await page.text_content("#d-history") or "")
            # a decision needs a reason
            await page.click("#decide button.return")
            await page.wait_for_selector("#message.error:has-text('reason')")
            await page.fill("#reason", "请补充隔离观察室")
            await page.click("#decide button.return")
            await page.wait_for_selector("#message.ok")
            assert "退回" in (await page.text_content("#d-state") or "")
            assert await page.is_hidden("#decide")
            returned = ids["江岸第三物流公司"]
            async with aiohttp.ClientSession() as http:
                login = await http.post(server.make_url("/api/v1/staff/sessions"),
                                        json={"username": "wang", "password": PASSWORD})
                bearer = {"Authorization": f"Bearer {(await login.json())['token']}"}
                got = await (await http.get(server.make_url(f"/api/v1/filings/{returned}"),
                                            headers=bearer)).json()
            assert got["state"] == "returned"
            assert [(h["state"], h["actor"], h["reason"]) for h in got["history"]] == [
                ("submitted", "firm", None), ("returned", "staff:wang", "请补充隔离观察室")]
            await page.click("#back")
            await page.wait_for_selector("#queue-pane:visible")
            # approve: the notice number shows
            await page.fill("#f-q", "")
            await page.click("#counts button[data-state=submitted]")
            await page.wait_for_selector("#list li >> text=江岸第一机械厂")
            assert await page.locator("#list li").count() == 2
            await page.click("#list li >> text=江岸第一机械厂")
            await page.wait_for_selector("#d-firm:has-text('江岸第一机械厂')")
            await page.fill("#reason", "材料齐全，准予复工")
            await page.click("#decide button.approve")
            await page.wait_for_selector("#d-notice:has-text('JIANGAN-00001')")
            assert "JIANGAN-00001" in (await page.text_content("#message") or "")
            # stale: the firm's filing changes while the reviewer reads it
            await page.click("#back")
            await page.click("#list li >> text=江岸第二餐馆")
            await page.wait_for_selector("#d-firm:has-text('江岸第二餐馆')")
            assert "口罩储备不足7天" in (await page.text_content("#d-flags") or "")
            ctx, second = filings(hub), ids["江岸第二餐馆"]
            await decide(ctx, second, "return", "口罩不足", actor="staff:li", scope=None)
            await resubmit(ctx, second, filing(2, "江岸第二餐馆", industry="catering"),
                           user_key="web:firm2")
            await page.fill("#reason", "同意")
            await page.click("#decide button.approve")
            await page.wait_for_selector("#message.error:has-text('Changed meanwhile')")
            assert await page.text_content("#d-flags") == ""  # reloaded: masks now enough
            assert "口罩不足" in (await page.text_content("#d-history") or "")
            await page.click("#decide button.approve")  # the reason stayed
            await page.wait_for_selector("#d-notice:has-text('JIANGAN-00002')")
            await page.click("#back")
            await page.wait_for_selector("#counts:has-text('approved 2')")
            assert "returned 1" in (await page.text_content("#counts") or "")
            # logout: the cookie no longer works
            await page.click("#logout")
            await page.wait_for_selector("#login:not([hidden])")
            status = await page.evaluate("fetch('/api/v1/staff/me').then(r => r.status)")
            assert status == 401

            # -- an auditor on a desktop: every district, two panes, no decide buttons ------
            desk = await browser.new_page(viewport={"width": 1280, "height": 900})
            await desk.goto(url)
            await _login(desk, "qian")
            await desk.wait_for_selector("#work:not([hidden])")
            assert await desk.is_visible("#f-district-label")
            await desk.wait_for_selector("#list li >> text=江汉第四商店")
            await desk.select_option("#f-district", "jianghan")
            await desk.click("#filters button")
            await desk.wait_for_function(
                "document.querySelectorAll('#list li').length === 1")
            await desk.click("#list li")
            await desk.wait_for_selector("#d-firm:has-text('江汉第四商店')")
            assert await desk.is_visible("#queue-pane") and await desk.is_visible("#detail")
            assert await desk.is_hidden("#decide")
            refused = await desk.evaluate(
                "id => fetch(`/api/v1/filings/${id}/decision`, {method: 'POST', headers: "
                "{'Content-Type': 'application/json', 'X-CSRF-Token': csrf()}, body: "
                "JSON.stringify({decision: 'approve', reason: 'x'})}).then(r => r.status)",
                ids["江汉第四商店"])
            assert refused == 403
        finally:
            await browser.close()


@pytest.mark.parametrize("role", ["health_officer", "community_worker"])
async def test_other_staff_roles_cannot_use_the_page(sqlite_url: str, tmp_path: Path,
                                                     aiohttp_server: Any, role: str) -> None:
    from playwright.async_api import async_playwright

    browser_path = chromium_path()
    app = init_app(sqlite_settings(sqlite_url, tmp_path), clock=FixedClock(START),
                   background=False)
    server = await aiohttp_server(app)
    await add_account(app[HUB_KEY], "other", role, PASSWORD)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=browser_path, args=ARGS)
        try:
            page = await browser.new_page()
            await page.goto(str(server.make_url("/review")))
            await _login(page, "other")
            await page.wait_for_selector("#login-error:has-text('may not review')")
            assert await page.is_hidden("#work")
            status = await page.evaluate("fetch('/api/v1/staff/me').then(r => r.status)")
            assert status == 401  # the session it opened was closed again
        finally:
            await browser.close()
