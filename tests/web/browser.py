"""Launching Debian's Chromium through Playwright (no browser download)."""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

CHROMIUM = os.environ.get("TONGGUAN_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    """The browser binary, or a skip (a failure in CI, where it must exist)."""
    if os.path.exists(CHROMIUM) or shutil.which(CHROMIUM):
        return CHROMIUM
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} missing in CI")
    pytest.skip(f"browser tests not run: {CHROMIUM} missing (apt-get install chromium)")


async def staff_page_login(page: Any, username: str, password: str | None = None) -> None:
    """Log in on a staff page's shared login form (/static/staff/staff.js)."""
    from staff_support import PASSWORD

    await page.wait_for_selector("#login:not([hidden])")
    await page.fill("#username", username)
    await page.fill("#password", password or PASSWORD)
    await page.click("#login-form button")
