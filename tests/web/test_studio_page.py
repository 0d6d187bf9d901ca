"""The flow studio (/studio) in Chromium, the whole launch of a new form as an admin
would do it (issue 15 §2): log in, a form from the template, add a question, see a
problem flagged at its line, fix it, preview, publish; a resident opens /f/{name} in a
second browser context and submits; the count changes; the CSV downloads. Also: the
assets, and roles that may not use it."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from browser import ARGS, chromium_path, staff_page_login
from staff_support import PASSWORD

from bot.config import Settings
from bot.services.staff import add_account, read_audit
from bot.web.app import init_app
from bot.web.keys import HUB_KEY
from tests.conftest import make_settings


async def test_assets_are_served_and_an_unknown_one_is_404(sqlite_url: str, tmp_path: Path,
                                                           aiohttp_client: Any) -> None:
    client = await aiohttp_client(init_app(make_settings(sqlite_url, tmp_path),
                                           background=False))
    for path, kind in (("/studio", "text/html"), ("/studio/studio.js", "javascript"),
                       ("/studio/template.js", "javascript"),
                       ("/studio/studio.css", "text/css"),
                       ("/static/vendor/codemirror/codemirror.js", "javascript"),
                       ("/static/vendor/codemirror/yaml.js", "javascript")):
        resp = await client.get(path)
        assert resp.status == 200 and kind in resp.headers["Content-Type"], path
    for path in ("/studio/nope.js", "/studio/..%2Finbox%2Finbox.js", "/f/no_such_form"):
        assert (await client.get(path)).status == 404, path


async def _records(app: Any) -> int:
    async with app[HUB_KEY].db.sessions() as session:
        return int(await session.scalar(sa.text(
            "SELECT count(*) FROM records WHERE flow_id = 'mask_need'")))


async def test_an_admin_launches_a_form_in_chromium(settings: Settings,
                                                    aiohttp_server: Any) -> None:
    from playwright.async_api import async_playwright

    path = chromium_path()
    app = init_app(settings, background=False)
    server = await aiohttp_server(app)
    await add_account(app[HUB_KEY], "guanli", "admin", PASSWORD)
    await add_account(app[HUB_KEY], "shen", "reviewer", PASSWORD)
    base = f"http://127.0.0.1:{server.port}"
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=path, args=ARGS)
        try:
            desk = await (await browser.new_context(
                locale="zh-CN", accept_downloads=True,
                viewport={"width": 1500, "height": 1000})).new_page()
            await desk.goto(base + "/studio")
            await staff_page_login(desk, "shen")  # a reviewer may not use the studio
            await desk.wait_for_selector("#login-error:has-text('Admins and auditors only')")
            await staff_page_login(desk, "guanli")

            # A new form from the template, with a question added.
            await desk.click("#new-form")
            await desk.fill("#t-name", "mask_need")
            await desk.fill("#t-title-zh", "口罩需求登记")
            await desk.fill("#t-title-en", "Mask needs")
            first = desk.locator("#t-questions li").nth(0)
            await first.locator(".q-zh").fill("姓名")
            await first.locator(".q-en").fill("Name")
            await first.locator(".q-id").fill("name")
            await desk.click("#t-add")
            second = desk.locator("#t-questions li").nth(1)
            await second.locator(".q-type").select_option("number")
            await second.locator(".q-zh").fill("需要几个口罩")
            await second.locator(".q-en").fill("Masks needed")
            await second.locator(".q-id").fill("masks")
            await desk.click("#t-create")
            await desk.wait_for_selector("#flow-name:has-text('mask_need')")
            await desk.wait_for_selector("#status:has-text('No problems')")
            await desk.wait_for_function(
                "() => document.getElementById('diagram-img').naturalWidth > 0")

            # A mistake typed into the editor is flagged at its line (and the diagram is
            # redrawn with the new step); then fixed.
            drawn = await desk.get_attribute("#diagram-img", "src")
            await desk.click(".CodeMirror-code")
            await desk.keyboard.press("Control+End")
            await desk.keyboard.type("- action: records.send")
            line = await desk.evaluate("() => window.studioEditor.lineCount()")
            problem = desk.locator(f"#problems li[data-line='{line}']")
            await problem.wait_for()
            assert "no action named 'records.send'" in await problem.inner_text()
            assert await desk.locator(".CodeMirror-lint-marker-error").count() == 1
            assert await desk.is_disabled("#publish")
            await desk.wait_for_function(
                "async old => { const img = document.getElementById('diagram-img');"
                " return img.src !== old && (await (await fetch(img.src)).text())"
                ".includes('action records.send'); }", arg=drawn)
            await desk.keyboard.press("Shift+Home")
            await desk.keyboard.type("- say: {zh: 再见, en: Bye}")
            await desk.wait_for_selector("#status:has-text('No problems')")
            assert await desk.locator("#problems li").count() == 0

            # Preview: the draft answers as a resident would see it; nothing is saved.
            async def preview(text: str | None, expect: str) -> None:
                if text is not None:
                    await desk.fill("#preview-text", text)
                    await desk.press("#preview-text", "Enter")
                else:
                    await desk.click("#preview-start")
                await desk.wait_for_selector(f"#preview-log .bubble.bot:has-text('{expect}')")

            await preview(None, "姓名")
            await preview("张三", "需要几个口罩")
            await preview("5", "请核对")
            await preview("确认", "records.save")
            assert await _records(app) == 0

            # Publish with a note: the form's tools appear.
            await desk.fill("#note", "第一版 first version")
            await desk.click("#publish")
            await desk.wait_for_selector("#flow-version:has-text('version 1')")
            await desk.wait_for_selector("#form-tools:not([hidden])")
            await desk.wait_for_selector("#share:has-text('/f/mask_need')")
            await desk.wait_for_selector("#count:has-text('0')")
            assert "第一版 first version" in await desk.inner_text("#history")
            await desk.wait_for_function(
                "() => document.getElementById('poster').naturalWidth > 0")

            # A resident opens the share link in another browser and submits.
            chat = await (await browser.new_context(locale="zh-CN")).new_page()
            await chat.goto(base + "/f/mask_need")
            assert "/chat" in chat.url

            async def resident(text: str | None, expect: str) -> None:
                if text is not None:
                    await chat.fill("#text", text)
                    await chat.press("#text", "Enter")
                await chat.wait_for_function(
                    "t => [...document.querySelectorAll('.row.bot .bubble')]"
                    ".some(b => b.innerText.includes(t))", arg=expect)

            await resident(None, "姓名")
            await resident("李四", "需要几个口罩")
            await resident("十二", "请核对")
            await resident("确认", "已提交")
            assert await _records(app) == 1

            # The count changes without a reload; the CSV downloads with the answers.
            await desk.wait_for_selector("#count:has-text('1')")
            async with desk.expect_download() as got:
                await desk.click("#csv")
            download = await got.value
            text = Path(await download.path()).read_text(encoding="utf-8-sig")
            rows = list(csv.DictReader(io.StringIO(text)))
            assert [(r["name"], r["masks"]) for r in rows] == [("李四", "12")]
        finally:
            await browser.close()
    audit = [(e.action, e.actor) for e in await read_audit(app[HUB_KEY])]
    assert ("flows.publish", "staff:guanli") in audit
    assert ("flows.export", "staff:guanli") in audit
