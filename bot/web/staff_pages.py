"""The staff pages' one page handler: ``GET /<prefix>`` and ``GET /<prefix>/{asset}`` —
anonymous: a page's ``index.html`` or one of its fixed assets from
``bot/web/static/<folder>/``, served ``no-cache``; any other name is 404.

Every staff page (``/inbox``, ``/nlu``, ``/ops``, ``/review``, ``/store``, ``/studio``)
logs in with the one staff login: its ``index.html`` holds the line
``<!-- staff-login -->`` where the login form of ``static/staff/login.html`` goes, put in
here (both files read once, when the page is added). The page's script logs in with
``/static/staff/staff.js``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).parent / "static"
LOGIN = STATIC / "staff" / "login.html"
MARKER = "<!-- staff-login -->"
NO_CACHE = {"Cache-Control": "no-cache"}


@cache
def page_html(folder: str) -> str:
    """``static/<folder>/index.html`` with the login form in place of its marker."""
    page = (STATIC / folder / "index.html").read_text(encoding="utf-8")
    if page.count(MARKER) != 1:
        raise ValueError(f"static/{folder}/index.html: want one {MARKER} line")
    return page.replace(MARKER, LOGIN.read_text(encoding="utf-8").rstrip("\n"))


def add_staff_page(app: web.Application, prefix: str, folder: str,
                   assets: frozenset[str]) -> None:
    """Route ``GET /<prefix>`` and ``GET /<prefix>/{asset}`` (``index.html`` or one of
    ``assets``); a page's own ``/<prefix>/<name>`` routes go before this call."""
    html = page_html(folder)
    files = STATIC / folder

    async def staff_page(request: web.Request) -> web.StreamResponse:
        name = request.match_info.get("asset") or "index.html"
        if name == "index.html":
            return web.Response(text=html, content_type="text/html", charset="utf-8",
                                headers=NO_CACHE)
        if name not in assets:
            raise web.HTTPNotFound()
        return web.FileResponse(files / name, headers=NO_CACHE)

    app.router.add_get(f"/{prefix}", staff_page)
    app.router.add_get(f"/{prefix}/{{asset}}", staff_page)
