"""The operations view's page (docs/ops.md).

* ``GET /ops`` and ``GET /ops/{asset}`` — anonymous: the static page, which logs in with
  the staff login and then reads ``/api/v1/ops/summary`` and follows
  ``/api/v1/ops/stream`` (:mod:`bot.web.ops_api`). Served ``no-cache``.
* ``GET /ops/city.geo.json`` — anonymous: the demo city's district shapes (the map).
* ``GET /vendor/echarts/{file}`` — anonymous: Apache ECharts, vendored from npm
  (``make vendor``), cached for a day.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.services.ops.geo import GEOJSON

STATIC = Path(__file__).parent / "static"
ASSETS = frozenset({"index.html", "ops.js", "ops.css"})
VENDOR = {"echarts": frozenset({"echarts.min.js", "LICENSE", "NOTICE", "VERSION"})}
NO_CACHE = {"Cache-Control": "no-cache"}


async def ops_page(request: web.Request) -> web.FileResponse:
    name = request.match_info.get("asset") or "index.html"
    if name not in ASSETS:
        raise web.HTTPNotFound()
    return web.FileResponse(STATIC / "ops" / name, headers=NO_CACHE)


async def city_shapes(request: web.Request) -> web.FileResponse:
    return web.FileResponse(GEOJSON, headers={"Content-Type": "application/geo+json",
                                              **NO_CACHE})


async def vendored(request: web.Request) -> web.FileResponse:
    lib, name = request.match_info["lib"], request.match_info["file"]
    if name not in VENDOR.get(lib, ()):
        raise web.HTTPNotFound()
    return web.FileResponse(STATIC / "vendor" / lib / name,
                            headers={"Cache-Control": "public, max-age=86400"})


def setup(app: web.Application) -> None:
    app.router.add_get("/ops", ops_page)
    app.router.add_get("/ops/city.geo.json", city_shapes)
    app.router.add_get("/ops/{asset}", ops_page)
    app.router.add_get("/vendor/{lib}/{file}", vendored)
