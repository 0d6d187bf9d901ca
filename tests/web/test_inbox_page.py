"""The handoff inbox (/inbox) in Chromium beside a resident in the web chat (/chat): the
resident asks for a person, the operator sees the request with its waiting time, opens
it, claims it and replies; the reply appears in the chat page; the resident's next
message appears in the inbox (no reload) and is not answered by the bot; the operator
closes and the bot answers again. Also: the assets, and a role that may not use it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from browser import ARGS, chromium_path
from staff_support import PASSWORD

from bot.config import Settings
from bot.services.staff import add_account
from bot.web.app import init_app
from bot.web.keys import HUB_KEY
from tests.conftest import make_settings


async def test_assets_are_served_and_an_unknown_one_is_404(sqlite_url: str, tmp_path: Path,
                                                           aiohttp_client: Any) -> None:
    client = await aiohttp_client(init_app(make_settings(sqlite_url, tmp_path),
                                           background=False))
    for path, kind in (("/inbox", "text/html"), ("/inbox/inbox.js", "javascript"),
                       ("/inbox/inbox.css", "text/css"),
                       ("/static/staff/staff.js", "javascript")):
        resp = await client.get(path)
        assert resp.status == 200 and kind in resp.headers["Content-Type"], path
    for path in ("/inbox/nope.js", "/inbox/..%2Freview%2Freview.js", "/inbox/staff.js"):
        assert (await client.get(path)).status == 404, path


async def _login(page: Any, username: str) -> None:
    await page.wait_for_selector("#login:not([hidden])")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("#login-form button")


async def test_operator_answers_a_resident_in_chromium(settings: Settings,
                                                      aiohttp_server: Any) -> None:
    from playwright.async_api import async_playwright

    path = chromium_path()
    app = init_app(settings, background=False)
    server = await aiohttp_server(app)
    hub = app[HUB_KEY]
    await add_account(hub, "zhiban", "operator", PASSWORD)
    await add_account(hub, "shen", "reviewer", PASSWORD)
    base = f"http://127.0.0.1:{server.port}"
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=path, args=ARGS)
        try:
            chat = await (await browser.new_context(locale="zh-CN")).new_page()
            await chat.goto(base + "/chat")
            bot = chat.locator(".row.bot .bubble")
            await bot.first.wait_for()

            async def resident_says(text: str) -> list[dict[str, Any]]:
                async with chat.expect_response("**/api/v1/chat") as answered:
                    await chat.fill("#text", text)
                    await chat.press("#text", "Enter")
                return list((await (await answered.value).json())["replies"])

            async def resident_sees(text: str) -> None:
                await chat.wait_for_function(
                    "t => [...document.querySelectorAll('.row.bot .bubble')]"
                    ".some(b => b.innerText.includes(t))", arg=text)

            assert "已为您转接人工服务" in (await resident_says("转人工"))[0]["text"]

            # a reviewer may not use the inbox
            desk = await (await browser.new_context(locale="zh-CN",
                                                    viewport={"width": 1200,
                                                              "height": 800})).new_page()
            await desk.goto(base + "/inbox")
            await _login(desk, "shen")
            await desk.wait_for_selector("#login-error:has-text('handoff inbox')")

            await _login(desk, "zhiban")
            await desk.wait_for_selector("#work:not([hidden])")
            item = desk.locator("#list li", has_text="#1")
            await item.wait_for()
            assert "等待" in await item.inner_text() and "网页 web" in await item.inner_text()
            await item.click()
            await desk.wait_for_selector("#detail-pane:not([hidden])")
            assert "转人工" in await desk.inner_text("#transcript")
            assert await desk.is_hidden("#reply-form")
            await desk.click("#claim")
            await desk.wait_for_selector("#reply-form:not([hidden])")
            assert "处理中" in await desk.inner_text("#title")
            await resident_sees("工作人员已接入")

            await desk.fill("#reply", "您好，我是值班员小周，请讲。")
            await desk.click("#send")
            await desk.wait_for_selector(".msg.staff:has-text('我是值班员小周')")
            await resident_sees("工作人员：您好，我是值班员小周，请讲。")

            assert await resident_says("我家老人需要买药，小区封了怎么办？") == []
            await desk.wait_for_selector("#thread .msg.resident:has-text('小区封了怎么办')")
            shown = await desk.locator("#thread .msg").all_inner_texts()  # in order
            assert len(shown) == 3 and "claimed" in shown[0] and "小周" in shown[1]
            assert "小区封了" in shown[2]

            await desk.fill("#reply", " ")
            await desk.click("#send")
            await desk.wait_for_selector("#message:has-text('The reply is empty')")

            await desk.click("#close")
            await desk.wait_for_selector("#title:has-text('已结束')")
            assert await desk.is_hidden("#reply-form") and await desk.is_hidden("#close")
            await resident_sees("人工服务已结束")
            again = await resident_says("帮助")
            assert again and "工作人员" not in again[0]["text"]  # the bot answers
            await desk.click("#tabs button[data-state=closed]")
            await desk.locator("#list li", has_text="#1").wait_for()
            await desk.screenshot(path=str(Path(settings.keys_dir).parent / "inbox.png"))
        finally:
            await browser.close()
