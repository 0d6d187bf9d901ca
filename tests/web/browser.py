"""Launching Debian's Chromium through Playwright (no browser download)."""

from __future__ import annotations

import os
import shutil

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
