"""``GET /nlu`` and ``GET /nlu/{asset}`` — anonymous: the NLU editor page (static), which
logs in with the shared staff login (``/static/staff/staff.js``) and works through the
NLU JSON API (:mod:`bot.web.nlu_api`). Served ``no-cache``."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).parent / "static" / "nlu"
ASSETS = frozenset({"index.html", "nlu.js", "nlu.css"})
NO_CACHE = {"Cache-Control": "no-cache"}


async def nlu_page(request: web.Request) -> web.FileResponse:
    name = request.match_info.get("asset") or "index.html"
    if name not in ASSETS:
        raise web.HTTPNotFound()
    return web.FileResponse(STATIC / name, headers=NO_CACHE)


def setup(app: web.Application) -> None:
    app.router.add_get("/nlu", nlu_page)
    app.router.add_get("/nlu/{asset}", nlu_page)
