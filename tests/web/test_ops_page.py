"""The operations view (/ops) in Chromium: a declaration made through the chat API moves
the counter without a reload (the stream's merge patches); a district account sees only
its district; every building loads when its section is opened; the report opens with
the day's numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
from browser import ARGS, chromium_path
from staff_support import PASSWORD

from bot.config import Settings
from bot.services.staff import add_account
from bot.web.app import init_app
from bot.web.keys import HUB_KEY
from tests.conftest import make_settings

CARD = "#cards [data-k='declarations.total'] .n"


def answers(id_number: str, district: str) -> list[str]:
    return ["健康申报", "1", "张三明", id_number, "13812345678", district, "花桥街一村社区",
            "3号楼", "36.5", "没有", "没有离开本市", "否", "未隔离", "是", "确认"]


async def declare(base: str, id_number: str, district: str) -> None:
    async with aiohttp.ClientSession() as http:
        token = (await (await http.post(base + "/api/v1/sessions")).json())["token"]
        headers = {"Authorization": f"Bearer {token}"}
        for text in answers(id_number, district):
            resp = await http.post(base + "/api/v1/chat", json={"text": text}, headers=headers)
            assert resp.status == 200, await resp.text()


async def screen(base: str, hub: Any, district: str, community: str) -> None:
    """A community worker's screening of 5号楼 through the chat API."""
    from tests.roles_support import grant

    async with aiohttp.ClientSession() as http:
        made = await (await http.post(base + "/api/v1/sessions")).json()
        await grant(hub, made["user_key"])
        headers = {"Authorization": f"Bearer {made['token']}"}
        for text in ["楼栋排查", district, community, "5号楼", "跳过", "12", "30", "1", "0",
                     "跳过", "确认"]:
            resp = await http.post(base + "/api/v1/chat", json={"text": text}, headers=headers)
            assert resp.status == 200, await resp.text()


async def _login(page: Any, username: str) -> None:
    await page.wait_for_selector("#login:not([hidden])")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_selector("#work:not([hidden])")


async def test_ops_view_in_chromium(sqlite_url: str, tmp_path: Path,
                                    aiohttp_server: Any) -> None:
    from playwright.async_api import async_playwright

    browser_path = chromium_path()
    settings: Settings = make_settings(sqlite_url, tmp_path)
    app = init_app(settings, background=False)
    server = await aiohttp_server(app)
    hub = app[HUB_KEY]
    await add_account(hub, "liwei", "health_officer", PASSWORD)
    await add_account(hub, "zhou", "health_officer", PASSWORD, district="wuchang")
    base = str(server.make_url("")).rstrip("/")

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=browser_path, args=ARGS)
        try:
            city = await browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            city.on("pageerror", lambda err: errors.append(str(err)))
            await city.goto(base + "/ops")
            await _login(city, "liwei")
            await city.wait_for_selector("#live.on")
            await city.wait_for_function(f"document.querySelector(\"{CARD}\").textContent === '0'")
            assert await city.locator("#map canvas, #map svg").count() > 0  # ECharts drew
            local = await browser.new_page(viewport={"width": 1280, "height": 900})
            await local.goto(base + "/ops")
            await _login(local, "zhou")
            await local.wait_for_selector("#live.on")
            assert await local.is_hidden("#scope-label")
            rows = await local.locator("#districts tr[data-key]").count()
            assert rows == 1 and "武昌" in (await local.text_content("#districts") or "")

            await declare(base, "11010519491231002X", "江岸区")  # no reload after this
            await city.wait_for_function(f"document.querySelector(\"{CARD}\").textContent === '1'")
            assert (await local.text_content(CARD)) == "0"  # not its district
            await declare(base, "110105195001010012", "武昌区")
            await local.wait_for_function(
                f"document.querySelector(\"{CARD}\").textContent === '1'")
            await city.wait_for_function(f"document.querySelector(\"{CARD}\").textContent === '2'")
            table = await city.text_content("#districts") or ""
            assert "江岸区" in table and "武昌区" in table
            # the tables sort: a header click sorts by it, a second click the other way
            header = city.locator("#districts th").nth(1)  # 申报 Declarations
            assert await header.text_content() == "申报"
            await header.click()
            await city.wait_for_selector("#districts th[aria-sort='descending']")
            assert (await city.locator("#districts tr[data-key] td[data-k='declarations']")
                    .first.text_content()) == "1"
            await header.click()
            await city.wait_for_selector("#districts th[aria-sort='ascending']")
            assert (await city.locator("#districts tr[data-key] td[data-k='declarations']")
                    .first.text_content()) == "0"

            # screenings by district → community → building, each in its district only
            await screen(base, hub, "武昌区", "中南路街 东湖社区")
            await screen(base, hub, "江岸区", "花桥街一村社区")
            row = "#screen-buildings tr[data-key='wuchang/中南路街 东湖社区/5号楼']"
            await local.wait_for_selector(row)
            await city.wait_for_selector(row)
            await city.wait_for_selector(
                "#screen-buildings tr[data-key='jiangan/花桥街一村社区/5号楼']")
            assert "花桥街" not in (await local.text_content("#screen-buildings") or "")
            assert "东湖社区" in (await local.text_content("#screen-communities") or "")
            assert (await local.text_content(
                "#cards [data-k='screenings.records'] .n")) == "1"

            # every building: loaded when the section is opened, filtered by community
            assert await city.locator("#building-table tr").count() == 0  # not yet
            await city.click("#all-buildings > summary")
            await city.wait_for_selector(
                "#building-table tr[data-key='wuchang/中南路街 东湖社区/5号楼']")
            await city.wait_for_selector(
                "#building-table tr[data-key='jiangan/花桥街一村社区/5号楼']")
            # the two screened buildings, and each district's "other" row (a declaration's
            # 3号楼: every count small)
            assert (await city.text_content("#bpage")) == "1–4 / 4"
            await city.select_option("#community", "花桥街一村社区")
            await city.wait_for_function(
                "document.querySelectorAll('#building-table tr[data-key]').length === 1")
            await local.click("#all-buildings > summary")
            await local.wait_for_selector(
                "#building-table tr[data-key='wuchang/中南路街 东湖社区/5号楼']")
            assert "花桥街" not in (await local.text_content("#building-table") or "")

            async with city.expect_popup() as popup:
                await city.click("#report-form button[type=submit]")
            report = await popup.value
            await report.wait_for_selector("#report-date")
            date = await city.input_value("#report-date")
            assert (await report.text_content("#report-date")) == date
            total = await report.text_content("[data-field='declarations.total'] b")
            assert total == "2"
            # the 14-day chart has every number's line, four of them shown
            shown = await city.evaluate(
                "(() => { const o = echarts.getInstanceByDom(document.getElementById('trend'))"
                ".getOption(); return [o.series.length, Object.values(o.legend[0].selected)"
                ".filter(Boolean).length]; })()")
            assert shown[0] >= 10 and shown[1] == 4
            assert errors == []
        finally:
            await browser.close()
