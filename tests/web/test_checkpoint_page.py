"""The checkpoint page in Chromium: fake camera on a generated code, verified offline; issue
time, proxy marker, expiry, an amber verdict on a stale revocation list, EU DCC codes."""

from __future__ import annotations

import asyncio
import dataclasses
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

import codes
from bot.services.declarations import Person, declarations, declare
from bot.services.declarations.store import status_by_token
from bot.services.health_codes import live_code
from bot.web.app import init_app
from bot.web.keys import HUB_KEY
from tests.conftest import make_settings
from tests.dcc_support import around, make_dsc, sign_hc1
from tests.web.browser import ARGS

HEALTHY = {"temperature": 36.5, "symptoms": ["none"], "travel": ["none"], "contact": False,
           "quarantine": "free"}

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
    code = await live_code(svc, await status_by_token(svc, out.token))
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


async def test_issue_time_proxy_expiry_hc1_and_a_stale_revocation_list(sqlite_url, tmp_path,
                                                                      aiohttp_server):
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from playwright.async_api import async_playwright

    now = datetime.now(UTC)
    times = around(now)
    dsc_key, dsc = make_dsc(not_before=times["not_before"], not_after=times["not_after"])
    other_key, other = make_dsc(not_before=times["not_before"], not_after=times["not_after"])
    trust_file = tmp_path / "dsc.pem"
    trust_file.write_bytes(x509.load_der_x509_certificate(dsc).public_bytes(Encoding.PEM))
    settings = make_settings(sqlite_url, tmp_path)
    settings = dataclasses.replace(settings, codes=dataclasses.replace(
        settings.codes, dcc_trust_file=str(trust_file), revocation_stale_minutes=30))
    app = init_app(settings, background=False)
    server = await aiohttp_server(app)
    base = f"http://127.0.0.1:{server.port}"
    svc = declarations(app[HUB_KEY])
    out = await declare(svc, person=Person("张三明", "11010519491231002X", None),
                        answers=HEALTHY, user_key="web:family", proxy=True)
    code = await live_code(svc, await status_by_token(svc, out.token))
    hc1 = sign_hc1(dsc_key, dsc, iat=times["iat"], exp=times["exp"])
    stranger = sign_hc1(other_key, other, iat=times["iat"], exp=times["exp"])

    async def verify(text: str, selector: str) -> None:
        await page.fill("#code", text)
        await page.click("#manual button")
        await page.wait_for_selector(selector, timeout=5000)

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = await browser.new_context()
        page = await context.new_page()
        await page.clock.install()
        await page.goto(base + "/checkpoint")
        await page.wait_for_selector("body[data-ready='1']", timeout=15000)
        await page.evaluate("navigator.serviceWorker.ready")
        assert await page.get_attribute("body", "data-revocation-stale-seconds") == "1800"
        assert await page.get_attribute("#revlist", "data-stale") == "0"
        assert "revocation list" in await page.inner_text("#revlist")

        # a live code declared by proxy: colour, issue time, the proxy marker
        await verify(code.text, "#result.green")
        assert await page.is_visible("#proxy") and "代报" in await page.inner_text("#proxy")
        issued = await page.inner_text("#issued")
        assert "签发于" in issued and "issued" in issued and "ago" in issued
        assert "实时码 live" in await page.inner_text("#validity")

        # an EU DCC signed by the configured DSC, and one by a DSC nobody trusts
        await verify(hc1, "#result.dcc")
        assert "Mustermann Erika" in await page.inner_text("#name")
        assert "疫苗接种 vaccination 2/2" in await page.inner_text("#validity")
        assert await page.get_attribute("#result", "data-format") == "HC1"
        await verify(stranger, "#result.invalid[data-reason='unknown_kid']")

        # the same live code past its validity + the 60 s leeway: expired
        await page.clock.set_system_time(code.expires_at + timedelta(seconds=61))
        await verify(code.text, "#result.invalid[data-reason='expired']")
        assert "已过期" in await page.inner_text("#reason")
        await page.clock.set_system_time(code.expires_at + timedelta(seconds=59))
        await verify(code.text, "#result.green")

        # offline, with lists fetched 2 hours ago: amber, "list out of date"
        await page.evaluate("localStorage.setItem('tg.fetchedAt', String(Date.now() - 7200e3))")
        await context.set_offline(True)
        await page.reload()
        await page.wait_for_selector("body[data-ready='1']", timeout=15000)
        assert await page.get_attribute("#revlist", "data-stale") == "1"
        assert "out of date" in await page.inner_text("#revlist")
        await verify(code.text, "#result.amber[data-verdict='stale']")
        stale = await page.inner_text("#stale")
        assert "名单过期" in stale and "List out of date" in stale and "2 h" in stale
        assert "绿码" in await page.inner_text("#color")  # the colour is still shown
        await verify(hc1, "#result.dcc")  # DCC validity does not hang on our revocation list

        # back online, fresh lists: the verdict is green again
        await context.set_offline(False)
        await page.click("#refresh")
        await page.wait_for_function(
            "document.getElementById('revlist').dataset.stale === '0'", timeout=10000)
        await verify(code.text, "#result.green")
        await browser.close()
