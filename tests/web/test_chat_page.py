"""The chat page in real Chromium, through a whole community screening."""

from __future__ import annotations

import sqlalchemy as sa
from playwright.async_api import async_playwright

from bot.db.models import Record
from bot.web.app import init_app
from bot.web.keys import HUB_KEY
from tests.web.browser import ARGS, chromium_path


async def test_whole_screening_in_the_browser(sqlite_url, tmp_path, aiohttp_server):
    from tests.conftest import make_settings

    path = chromium_path()
    app = init_app(make_settings(sqlite_url, tmp_path), background=False)
    server = await aiohttp_server(app)
    base = f"http://127.0.0.1:{server.port}"
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=path, args=ARGS)
        page = await browser.new_page(viewport={"width": 390, "height": 800}, locale="zh-CN")
        await page.goto(base + "/chat")
        bot = page.locator(".row.bot .bubble")
        await bot.first.wait_for()
        assert "通管" in await bot.first.inner_text()
        await page.locator(".options button", has_text="楼栋排查登记").first.click()

        async def answer(text: str, expect: str) -> None:
            count = await bot.count()
            await page.fill("#text", text)
            await page.press("#text", "Enter")
            await page.locator(".row.bot .bubble").nth(count).wait_for()
            await page.wait_for_function(
                "([n, t]) => [...document.querySelectorAll('.row.bot .bubble')].slice(n)"
                ".some(b => b.innerText.includes(t))", arg=[count, expect])

        await page.wait_for_function("document.body.innerText.includes('楼栋号')")
        await answer("6号楼", "哪个单元")
        await answer("跳过", "走访")
        await answer("二十", "在家")
        await answer("45", "居家隔离")
        await answer("1", "外地返回")
        await answer("0", "备注")
        await answer("无", "请核对")
        count = await bot.count()
        await page.locator(".options button", has_text="确认").last.click()
        await page.wait_for_function(
            "n => [...document.querySelectorAll('.row.bot .bubble')].slice(n)"
            ".some(b => b.innerText.includes('已登记 6号楼'))", arg=count)
        await page.screenshot(path=str(tmp_path / "chat.png"))
        await browser.close()
    async with app[HUB_KEY].db.sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Record)) == 1
