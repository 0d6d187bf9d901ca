"""The approval notice in Chromium: the firm's printable page (its QR scans back to the
signed notice), then the checkpoint page verifying that notice offline — valid in purple
with firm, notice number, district and validity; expired; a notice and a health code
re-labelled as each other refused with their reasons."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from browser import ARGS, chromium_path

import codes
from bot.clock import CITY_TZ
from bot.services.declarations import Person, declarations, declare
from bot.services.declarations.store import status_by_token
from bot.services.filings import decide, filings, submit
from bot.services.health_codes import live_code
from bot.services.notice_links import notice_path
from bot.web.app import init_app
from bot.web.keys import HUB_KEY
from tests.conftest import make_settings

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
HEALTHY = {"temperature": 36.5, "symptoms": ["none"], "travel": ["none"], "contact": False,
           "quarantine": "free"}


def uscc(n: int) -> str:
    first = f"91420100{n:09d}"
    total = sum(ALPHABET.index(c) * w for c, w in zip(first, WEIGHTS, strict=True))
    return first + ALPHABET[(31 - total % 31) % 31]


def filing_body(start: str) -> dict[str, Any]:
    return {
        "firm_name": "江城精密机械厂", "uscc": uscc(7), "industry": "manufacturing",
        "district": "jiangan", "street": "花桥街", "address": "解放大道 1号",
        "contact_name": "王小明", "contact_phone": "13812345678", "staff_total": 100,
        "staff_returning": 60, "staff_origins": [{"province": "河南", "city": "信阳",
                                                  "count": 20}],
        "staff_risk_14d": 0, "isolation_rooms": 2, "prevention_lead": "李防疫",
        "supplies_days": {"masks": 14, "thermometers": 30, "disinfectant": 30},
        "planned_start": start, "capacity_percent": 50, "needs": ["raw_materials"],
        "pledge": True}


async def test_notice_page_and_offline_checkpoint(sqlite_url: str, tmp_path: Path,
                                                  aiohttp_server: Any) -> None:
    from playwright.async_api import async_playwright

    chromium = chromium_path()
    app = init_app(make_settings(sqlite_url, tmp_path), background=False)
    server = await aiohttp_server(app)
    base = f"http://127.0.0.1:{server.port}"
    hub = app[HUB_KEY]
    start = (datetime.now(CITY_TZ) + timedelta(days=3)).date().isoformat()
    row = await submit(filings(hub), filing_body(start), user_key="web:firm7", lang="zh")
    await decide(filings(hub), row.id, "approve", "材料齐全", actor="staff:li", scope=None)
    svc = declarations(hub)
    out = await declare(svc, person=Person("张三明", "11010519491231002X", None),
                        answers=HEALTHY, user_key="web:t", proxy=False)
    health = (await live_code(svc, await status_by_token(svc, out.token))).text

    async def verify(text: str, selector: str) -> None:
        await page.fill("#code", text)
        await page.click("#manual button")
        await page.wait_for_selector(selector)

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=ARGS)
        context = await browser.new_context()
        page = await context.new_page()
        await page.clock.install()

        # the firm's printable page: its QR is the signed notice
        await page.goto(base + notice_path(hub, row.id))
        assert "江城精密机械厂" in await page.inner_text("#firm")
        facts = await page.inner_text("#facts")
        assert "JIANGAN-00001" in facts and "江岸区 Jiang'an" in facts and uscc(7) in facts
        notice = unescape(await page.get_attribute("#qr", "data-code") or "")
        assert notice.startswith("TGN1:")
        await page.emulate_media(media="print")
        shot = await page.locator("#qr svg").screenshot()
        assert codes.decode_image(shot) == [notice]
        await page.emulate_media(media="screen")
        # a notice of the same key that lapses in two minutes (the page's lasts 30 days,
        # beyond the 72 h a cached trust list is trusted)
        now = datetime.now(UTC)
        brief = codes.issue_notice(
            key=svc.signing.store.active_signer(), notice_no="JIANGAN-00002",
            firm_name="短期", uscc=uscc(8), district="江岸区", approved_on=now.date(),
            expires_at=now + timedelta(minutes=2), at=now)

        # the checkpoint, lists loaded once, then offline
        await page.goto(base + "/checkpoint")
        await page.wait_for_selector("body[data-ready='1']")
        await page.evaluate("navigator.serviceWorker.ready")
        await context.set_offline(True)
        await verify(notice, "#result.notice[data-verdict='valid']")
        assert "复工通知 Resumption notice" in await page.inner_text("#color")
        assert "江城精密机械厂" in await page.inner_text("#name")
        validity = await page.inner_text("#validity")
        assert "JIANGAN-00001" in validity and "江岸区" in validity and "valid until" in validity
        assert "有效的复工通知" in await page.inner_text("#reason")
        assert await page.get_attribute("#result", "data-format") == "TGN1"

        # the signed claims must match the prefix, both ways
        await verify("TG1:" + notice[5:], "#result.invalid[data-reason='not_a_health_code']")
        await verify("TGN1:" + health[4:], "#result.invalid[data-reason='not_a_notice']")
        assert "复工通知无效" in await page.inner_text("#color")
        assert "不是复工通知" in await page.inner_text("#reason")
        await verify(health, "#result.green")  # health codes as before
        tampered = notice[:-8] + ("00000000" if not notice.endswith("00000000") else "11111111")
        await verify(tampered, "#result.invalid")
        assert await page.get_attribute("#result", "data-format") == "TGN1"

        # reloaded with the network cut: the service worker serves the page, the notice
        # still verifies; past its validity (+ 60 s leeway) a notice is refused as expired
        await page.reload()
        await page.wait_for_selector("body[data-ready='1']")
        assert "离线" in await page.inner_text("#lists")
        await verify(notice, "#result.notice")
        await verify(brief, "#result.notice")
        await page.clock.set_system_time(now + timedelta(minutes=2, seconds=59))
        await verify(brief, "#result.notice")
        await page.clock.set_system_time(now + timedelta(minutes=3, seconds=2))
        await verify(brief, "#result.invalid[data-reason='expired']")
        assert "已过期" in await page.inner_text("#reason")
        assert "复工通知无效" in await page.inner_text("#color")
        await browser.close()


@pytest.mark.parametrize("name", ["<script>alert(1)</script>公司"])
async def test_the_page_escapes_what_the_firm_typed(name: str, sqlite_url: str,
                                                    tmp_path: Path, aiohttp_client: Any
                                                    ) -> None:
    client = await aiohttp_client(init_app(make_settings(sqlite_url, tmp_path),
                                           background=False))
    hub = client.server.app[HUB_KEY]
    start = (datetime.now(CITY_TZ) + timedelta(days=3)).date().isoformat()
    body = {**filing_body(start), "firm_name": name}
    row = await submit(filings(hub), body, user_key="web:firm7", lang="zh")
    await decide(filings(hub), row.id, "approve", "ok", actor="staff:li", scope=None)
    page = await (await client.get(notice_path(hub, row.id))).text()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert re.search(r'data-code="TGN1:[^"]+"', page)
