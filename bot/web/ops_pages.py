"""The operations view's page (docs/ops.md).

* ``GET /ops`` and ``GET /ops/{asset}`` — anonymous: the static page, which logs in with
  the staff login and then reads ``/api/v1/ops/summary`` and follows
  ``/api/v1/ops/stream`` (:mod:`bot.web.ops_api`). Served ``no-cache`` by
  :mod:`bot.web.staff_pages`.
* ``GET /ops/city.geo.json`` — anonymous: the demo city's district shapes (the map).
* ``GET /vendor/echarts/{file}`` — anonymous: Apache ECharts, vendored from npm
  (``make vendor``), cached for a day.
"""

from __future__ import annotations

from aiohttp import web

from bot.services.ops.geo import GEOJSON
from bot.web.staff_pages import NO_CACHE, STATIC, add_staff_page

VENDOR = {"echarts": frozenset({"echarts.min.js", "LICENSE", "NOTICE", "VERSION"})}


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
    app.router.add_get("/ops/city.geo.json", city_shapes)  # before /ops/{asset}
    add_staff_page(app, "ops", "ops", frozenset({"ops.js", "ops.css"}))
    app.router.add_get("/vendor/{lib}/{file}", vendored)
