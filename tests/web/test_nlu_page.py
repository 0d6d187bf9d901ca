"""The NLU editor (/nlu) in Chromium as an admin would use it: log in, add an intent and
examples, see a conflict flagged before saving, remove it, save & retrain, see the new
example parse, and run the cross-validation report with its confusion matrix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from browser import ARGS, chromium_path, staff_page_login

from bot.config import Settings
from bot.services.staff import add_account
from bot.web.app import init_app
from bot.web.keys import HUB_KEY
from tests.conftest import make_settings
from tests.web.test_nlu_two_servers import HOTEL

CONFLICTING = "我的复工申请批了吗呀"  # filing_status has 我的复工申请批了吗


async def test_assets_are_served_and_an_unknown_one_is_404(sqlite_url: str, tmp_path: Path,
                                                           aiohttp_client: Any) -> None:
    client = await aiohttp_client(init_app(make_settings(sqlite_url, tmp_path),
                                           background=False))
    for path, kind in (("/nlu", "text/html"), ("/nlu/nlu.js", "javascript"),
                       ("/nlu/nlu.css", "text/css")):
        resp = await client.get(path)
        assert resp.status == 200 and kind in resp.headers["Content-Type"], path
    for path in ("/nlu/nope.js", "/nlu/..%2Finbox%2Finbox.js"):
        assert (await client.get(path)).status == 404, path


async def test_admin_adds_an_intent_and_retrains_in_chromium(settings: Settings,
                                                           aiohttp_server: Any) -> None:
    from playwright.async_api import async_playwright

    path = chromium_path()
    app = init_app(settings, background=False)
    server = await aiohttp_server(app)
    await add_account(app[HUB_KEY], "wang", "admin", "correct horse battery")
    base = f"http://127.0.0.1:{server.port}"
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=path, args=ARGS)
        try:
            page = await (await browser.new_context(locale="zh-CN")).new_page()
            await page.goto(base + "/nlu")
            await staff_page_login(page, "wang")
            await page.wait_for_selector("#intents li[data-name=filing_status]")
            assert "版本 version 1" in await page.inner_text("#status")
            assert "内置模型" in await page.inner_text("#backend")

            await page.fill("#new-intent", "quarantine_hotel")
            await page.click("#new-intent-form button")
            await page.wait_for_selector("#intents li.current[data-name=quarantine_hotel]")
            await page.fill("#new-examples", "\n".join([*HOTEL, CONFLICTING]))
            await page.click("#add")
            conflict = page.locator("#problems li.warning")
            await conflict.first.wait_for()
            text = await conflict.first.inner_text()
            assert "冲突 conflict" in text and "filing_status" in text
            flagged = page.locator("#examples li.flagged")
            assert await flagged.locator("input").input_value() == CONFLICTING
            await flagged.locator("button").click()  # remove it
            await page.wait_for_selector("#problems li.ok")

            await page.click("#save")
            await page.wait_for_function(
                "() => document.querySelector('#save-message').innerText"
                ".includes('Saved version 2')")
            assert "版本 version 2" in await page.inner_text("#status")
            await page.fill("#try-text", "隔离酒店还有房间吗")
            await page.click("#try-form button")
            await page.wait_for_selector("#try-result[data-intent=quarantine_hotel]")

            await page.click("#run-report")
            await page.wait_for_selector("#report-table:not([hidden])", timeout=180_000)
            assert "quarantine_hotel" in await page.inner_text("#report-table")
            await page.wait_for_function(
                "() => document.querySelector('#matrix').naturalWidth > 0")
        finally:
            await browser.close()
