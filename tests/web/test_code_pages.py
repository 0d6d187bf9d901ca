"""Live code page (in Chromium too), paper page, lists and OpenAPI entries.

Paper-code issuing, GETs that write nothing and live-code expiry: test_paper_codes.py."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import codes
from bot.services.declarations import Person, declarations, set_status
from bot.services.declarations import declare as declare_for
from bot.web.app import init_app
from bot.web.keys import HUB_KEY
from tests.conftest import make_settings
from tests.services.declarations.test_declaration_flow import declare, session, token_of
from tests.web.browser import ARGS, chromium_path

SHORT_TTL = timedelta(seconds=10)


async def test_live_page_and_lists(client):
    headers = await session(client)
    token = token_of(await declare(client, headers))
    page = await client.get(f"/code/{token}")
    assert page.status == 200 and "code.js" in await page.text()
    first = await (await client.get(f"/code/{token}/current.json")).json()
    again = await (await client.get(f"/code/{token}/current.json")).json()
    if first["refresh_at"] == again["refresh_at"]:  # same slot: the same code
        assert first["code"] == again["code"]
    assert first["qr"].startswith("data:image/png;base64,") and first["kind"] == "live"
    assert first["subject"] is None and first["proxy"] is False
    life = (datetime.fromisoformat(first["code_expires_at"])
            - datetime.fromisoformat(first["code_issued_at"]))
    assert timedelta(seconds=89) <= life <= timedelta(seconds=180)  # 3-minute live codes
    assert first["code_issued_at"] < first["refresh_at"] < first["code_expires_at"]
    assert (await client.get(f"/code/{token}/paper")).status == 200
    assert (await client.get("/api/v1/trust-list")).status == 200
    checkpoint = await client.get("/checkpoint")
    assert checkpoint.status == 200
    assert 'data-revocation-stale-seconds="3600"' in await checkpoint.text()
    spec = await (await client.get("/api/v1/openapi.json")).json()
    assert "/api/v1/verify" in spec["paths"] and "/api/v1/dcc-trust-list" in spec["paths"]
    assert "post" in spec["paths"]["/code/{token}/paper"]


async def test_api_routes_mounted_once(client):
    from bot.web import codes_api

    codes_api.setup(client.app)  # as codes_pages.setup does too: no second mount
    routes = [r.resource.canonical for r in client.app.router.routes()
              if r.resource is not None and r.method == "POST"]
    assert routes.count("/api/v1/verify") == 1


async def test_live_page_refreshes_before_expiry_and_shows_revoked(sqlite_url, tmp_path,
                                                                   aiohttp_server):
    """With 10 s live codes the page swaps in a new code before the old one ends."""
    from playwright.async_api import async_playwright

    executable = chromium_path()
    settings = make_settings(sqlite_url, tmp_path)
    settings = dataclasses.replace(settings, codes=dataclasses.replace(
        settings.codes, live_seconds=int(SHORT_TTL.total_seconds())))
    app = init_app(settings, background=False)
    server = await aiohttp_server(app)
    base = f"http://127.0.0.1:{server.port}"
    svc = declarations(app[HUB_KEY])
    out = await declare_for(svc, person=Person("张三明", "11010519491231002X", None),
                            answers={"temperature": 36.5, "symptoms": ["none"],
                                     "travel": ["none"], "contact": False,
                                     "quarantine": "free"}, user_key="web:p", proxy=False)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=executable, args=ARGS)
        page = await browser.new_page()
        await page.goto(f"{base}/code/{out.token}")
        await page.wait_for_selector("#card.green[data-state='active']", timeout=10000)
        first = await page.get_attribute("#card", "data-code")
        first_qr = await page.get_attribute("#qr", "src")
        clock = await page.inner_text("#clock")
        now = datetime.now(UTC)
        claims = codes.verify_code(first, trust_list=svc.signing.store.trust_list(at=now)).claims
        first_expires = datetime.fromisoformat(claims["exp"])
        assert first_expires - now <= SHORT_TTL

        await page.wait_for_function(
            "code => document.getElementById('card').dataset.code !== code", arg=first,
            timeout=SHORT_TTL.total_seconds() * 1000 + 5000)
        assert datetime.now(UTC) < first_expires  # fetched before the old code ended
        assert await page.get_attribute("#card", "data-state") == "active"
        assert await page.get_attribute("#qr", "src") not in (first_qr, None)
        assert "绿码" in await page.inner_text("#color")
        await asyncio.sleep(1.2)
        assert await page.inner_text("#clock") not in ("", clock)  # the clock runs

        # an admin status revokes this page: the open page shows it on its next fetch
        await set_status(svc, subject=out.subject, color="red", reason_zh="密接",
                         reason_en="Close contact")
        await page.wait_for_selector("#card.gone[data-state='revoked']", timeout=15000)
        assert "已失效" in await page.inner_text("#reasons")
        assert await page.get_attribute("#qr", "src") is None
        # and a fresh visit of the revoked link says so at once
        fresh = await browser.new_page()
        await fresh.goto(f"{base}/code/{out.token}")
        await fresh.wait_for_selector("#card.gone[data-state='revoked']", timeout=10000)
        assert "no longer valid" in await fresh.inner_text("#reasons")
        assert await fresh.inner_text("#color") == "—"
        await browser.close()


async def test_paper_page_issues_by_button_and_explains_the_limit(sqlite_url, tmp_path,
                                                                   aiohttp_server):
    """The paper page issues only on a click (POST); a reload shows the same code; after a
    new status the same day the button gets the 429 message in both languages."""
    from playwright.async_api import async_playwright

    executable = chromium_path()
    app = init_app(make_settings(sqlite_url, tmp_path), background=False)
    server = await aiohttp_server(app)
    base = f"http://127.0.0.1:{server.port}"
    svc = declarations(app[HUB_KEY])
    person = Person("张三明", "11010519491231002X", None)
    answers = {"temperature": 36.5, "symptoms": ["none"], "travel": ["none"],
               "contact": False, "quarantine": "free"}
    out = await declare_for(svc, person=person, answers=answers, user_key="web:q", proxy=False)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=executable, args=ARGS)
        page = await browser.new_page()
        await page.goto(f"{base}/code/{out.token}/paper")
        await page.wait_for_selector("#issue:not([hidden])", timeout=10000)
        assert await page.get_attribute("#card", "data-state") == "none"
        assert "尚未签发" in await page.inner_text("#reasons")
        await page.click("#issue")
        await page.wait_for_selector("#card.green[data-state='active']", timeout=10000)
        code = await page.get_attribute("#card", "data-code")
        assert code.startswith("TG1:") and await page.is_hidden("#issue")
        assert "签发于" in await page.inner_text("#issued")
        await page.reload()
        await page.wait_for_selector("#card.green[data-state='active']", timeout=10000)
        assert await page.get_attribute("#card", "data-code") == code  # shown, not re-issued

        again = await declare_for(svc, person=person, answers={**answers, "temperature": 37.8},
                                  user_key="web:q", proxy=False)
        await page.goto(f"{base}/code/{again.token}/paper")
        await page.wait_for_selector("#issue:not([hidden])", timeout=10000)
        await page.click("#issue")
        await page.wait_for_selector("#notice[data-error='paper_limit']", timeout=10000)
        notice = await page.inner_text("#notice")
        assert "今天已签发过纸质码" in notice and "already issued today" in notice
        assert await page.get_attribute("#card", "data-state") == "none"
        await browser.close()
