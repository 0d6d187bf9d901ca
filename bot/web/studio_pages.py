"""``GET /studio`` and ``GET /studio/{asset}`` — anonymous: the flow studio page
(static), which logs in with the staff login (``/static/staff/staff.js``) and works
through the studio's JSON API (:mod:`bot.web.flows_api`, :mod:`bot.web.forms_api`).
CodeMirror is vendored under ``/static/vendor/codemirror/``. Served ``no-cache``."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).parent / "static" / "studio"
ASSETS = frozenset({"index.html", "studio.js", "studio.css", "template.js"})
NO_CACHE = {"Cache-Control": "no-cache"}


async def studio_page(request: web.Request) -> web.FileResponse:
    name = request.match_info.get("asset") or "index.html"
    if name not in ASSETS:
        raise web.HTTPNotFound()
    return web.FileResponse(STATIC / name, headers=NO_CACHE)


def setup(app: web.Application) -> None:
    app.router.add_get("/studio", studio_page)
    app.router.add_get("/studio/{asset}", studio_page)
