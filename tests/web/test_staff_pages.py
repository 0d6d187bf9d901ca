"""The six staff pages (bot/web/staff_pages.py): each serves its index.html with the one
login form (bot/web/static/staff/login.html) put in place of its marker, no-cache; an
unknown or ``..`` name is 404; the page routes take GET (and HEAD) only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.web.app import init_app
from bot.web.staff_pages import MARKER
from tests.conftest import make_settings

PAGES = ("inbox", "nlu", "ops", "review", "store", "studio")


@pytest.fixture
async def client(sqlite_url: str, tmp_path: Path, aiohttp_client: Any) -> Any:
    return await aiohttp_client(init_app(make_settings(sqlite_url, tmp_path),
                                         background=False))


@pytest.mark.parametrize("page", PAGES)
async def test_the_page_has_the_one_login_form(client: Any, page: str) -> None:
    for path in (f"/{page}", f"/{page}/index.html"):
        resp = await client.get(path)
        assert resp.status == 200, path
        assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
        assert resp.headers["Cache-Control"] == "no-cache"
        html = await resp.text()
        assert html.count('id="login-form"') == 1 and MARKER not in html, path
        assert html.count('id="logout"') == 1, path  # staff.js's contract
        assert '<script src="/static/staff/staff.js"></script>' in html, path


@pytest.mark.parametrize("page", PAGES)
async def test_other_names_are_404_and_writes_405(client: Any, page: str) -> None:
    for path in (f"/{page}/nope.js", f"/{page}/..%2Fstaff%2Flogin.html",
                 f"/{page}/..%2F{page}%2Findex.html", f"/{page}/login.html",
                 f"/{page}/%2E%2E%2Fstaff%2Fstaff.js", f"/{page}/staff.js"):
        assert (await client.get(path)).status == 404, path
    for path in (f"/{page}", f"/{page}/index.html", f"/{page}/{page}.js"):
        assert (await client.post(path)).status == 405, path
        assert (await client.put(path)).status == 405, path
        assert (await client.delete(path)).status == 405, path


@pytest.mark.parametrize("page", PAGES)
async def test_the_page_assets_are_served_no_cache(client: Any, page: str) -> None:
    for name, kind in ((f"{page}.js", "javascript"), (f"{page}.css", "text/css")):
        resp = await client.get(f"/{page}/{name}")
        assert resp.status == 200 and kind in resp.headers["Content-Type"], name
        assert resp.headers["Cache-Control"] == "no-cache", name
