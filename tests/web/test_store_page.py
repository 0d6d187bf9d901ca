"""The /store page in Chromium: log in, type a code (lower case, spaces), redeem once."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import CITY_TZ, FixedClock
from bot.config import load_settings
from bot.services.reservations import (
    ReserveRequest,
    add_staff,
    compute_releases,
    import_stores,
    reserve,
    set_capacity,
)
from bot.services.reservations.identity import fake_id
from bot.services.reservations.service import supply_context
from bot.web.keys import HUB_KEY
from bot.web.reservations import BACKGROUND_KEY

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Chromium is not installed")
async def test_staff_redeems_a_typed_code_once(sqlite_url: str, tmp_path: Path,
                                               aiohttp_server) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright

    from bot.web.app import init_app

    settings = dataclasses.replace(
        load_settings(ROOT / "config.yml", env={}), database_url=sqlite_url,
        secret_key="test-secret-0123456789abcdef0123456789abcdef", keys_dir=tmp_path / "keys",
        flows_reload_seconds=0.0)
    clock = FixedClock(datetime(2020, 2, 4, 9, 0, tzinfo=CITY_TZ).astimezone(UTC))
    app = init_app(settings, clock=clock, background=False)
    app[BACKGROUND_KEY] = False
    server = await aiohttp_server(app)
    sc = supply_context(app[HUB_KEY])
    await import_stores(sc, (ROOT / "bot/services/reservations/demo/stores.csv").read_text())
    day = sc.rules.city_day(clock.now())
    await set_capacity(sc, "mask-adult", day, 300)
    await compute_releases(sc, day)
    made = await reserve(sc, ReserveRequest("mask-adult", "JA001", 1, "王小明",
                                            fake_id(3, last_odd=False), "web", "u1"))
    password = await add_staff(sc, "JA001", "clerk1")
    typed = " ".join(made.pickup_code[i:i + 4] for i in range(0, 13, 4)).lower()

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 800})
            await page.goto(str(server.make_url("/store")))
            await page.fill("#username", "clerk1")
            await page.fill("#password", "wrong")
            await page.click("#login-form button")
            await page.wait_for_selector("#login-error:has-text('Wrong')".replace("W", "w"))
            await page.fill("#password", password)
            await page.click("#login-form button")
            await page.wait_for_selector("#work:not([hidden])")
            await page.fill("#code", typed)
            await page.click("#code-form button[type=submit]")
            await page.wait_for_selector("#ticket:not([hidden])")
            assert await page.text_content("#t-name") == "王*明"
            assert "成人口罩" in (await page.text_content("#t-product") or "")
            await page.click("#redeem")
            await page.wait_for_selector("#message.ok")
            assert await page.is_disabled("#redeem")
            assert "1" in (await page.text_content("#counts") or "")
            again = await page.evaluate(
                "code => fetch('/api/v1/store/redeem', {method: 'POST', headers: "
                "{'Content-Type': 'application/json', 'X-CSRF-Token': csrf()}, "
                "body: JSON.stringify({code})})"
                ".then(r => r.json())", made.pickup_code)
            assert again["error"] == "already_redeemed"
            await page.fill("#code", "ZZZZ-ZZZZ-ZZZZZ")
            await page.click("#code-form button[type=submit]")
            await page.wait_for_selector("#message.error")
        finally:
            await browser.close()
