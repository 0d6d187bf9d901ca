"""The checkpoint page in Chromium: fake camera on a generated code, verified offline."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from PIL import Image

import codes
from bot.services.declarations import Person, declarations, declare
from bot.services.declarations.store import current_code, status_by_token
from bot.web.app import init_app
from bot.web.keys import HUB_KEY
from tests.conftest import make_settings

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium")


def mjpeg(text: str, path: Path) -> None:
    """A few MJPEG frames of the code's QR on a white background."""
    qr = Image.open(io.BytesIO(codes.render_png(text).data)).convert("RGB")
    frame = Image.new("RGB", (640, 480), "white")
    qr = qr.resize((440, 440), Image.NEAREST)
    frame.paste(qr, (100, 20))
    with path.open("wb") as out:
        for _ in range(5):
            buf = io.BytesIO()
            frame.save(buf, "JPEG", quality=95)
            out.write(buf.getvalue())


async def test_camera_scan_verified_offline(sqlite_url, tmp_path, aiohttp_server):
    from playwright.async_api import async_playwright

    app = init_app(make_settings(sqlite_url, tmp_path), background=False)
    server = await aiohttp_server(app)
    base = f"http://127.0.0.1:{server.port}"
    svc = declarations(app[HUB_KEY])
    out = await declare(svc, person=Person("张三明", "11010519491231002X", None),
                        answers={"temperature": 37.9, "symptoms": ["none"],
                                 "travel": ["none"], "contact": False,
                                 "quarantine": "free"}, user_key="web:t", proxy=False)
    code = await current_code(svc, await status_by_token(svc, out.token))
    video = tmp_path / "code.mjpeg"
    await asyncio.to_thread(mjpeg, code.text, video)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={video}"])
        context = await browser.new_context()
        await context.grant_permissions(["camera"], origin=base)
        external: list[str] = []
        page = await context.new_page()
        page.on("request", lambda r: external.append(r.url)
                if not r.url.startswith((base, "data:", "blob:")) else None)
        await page.goto(base + "/checkpoint")
        await page.wait_for_selector("body[data-ready='1']", timeout=15000)
        await page.evaluate("navigator.serviceWorker.ready")
        await context.set_offline(True)
        await page.click("#start")
        await page.wait_for_selector("#result.yellow", timeout=20000)
        assert "张*明" in await page.inner_text("#name")
        assert "黄码" in await page.inner_text("#color")
        # manual entry, still offline: a damaged code gets a reason
        await page.fill("#code", code.text[:-6])
        await page.click("#manual button")
        await page.wait_for_selector("#result.invalid", timeout=5000)
        assert "损坏" in await page.inner_text("#reason")
        # reload with the network cut: the service worker serves the page
        await page.reload()
        await page.wait_for_selector("body[data-ready='1']", timeout=15000)
        assert "离线" in await page.inner_text("#lists")
        await page.fill("#code", code.text)
        await page.click("#manual button")
        await page.wait_for_selector("#result.yellow", timeout=5000)
        assert not external
        await browser.close()
