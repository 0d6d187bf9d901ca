"""``GET /inbox`` and ``GET /inbox/{asset}`` — anonymous: the handoff inbox page (static),
which logs in with the staff login (``/static/staff/staff.js``, shared by staff pages)
and works through the handoffs JSON API (:mod:`bot.web.handoffs_api`). Served
``no-cache``."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).parent / "static" / "inbox"
ASSETS = frozenset({"index.html", "inbox.js", "inbox.css"})
NO_CACHE = {"Cache-Control": "no-cache"}


async def inbox_page(request: web.Request) -> web.FileResponse:
    name = request.match_info.get("asset") or "index.html"
    if name not in ASSETS:
        raise web.HTTPNotFound()
    return web.FileResponse(STATIC / name, headers=NO_CACHE)


def setup(app: web.Application) -> None:
    app.router.add_get("/inbox", inbox_page)
    app.router.add_get("/inbox/{asset}", inbox_page)
