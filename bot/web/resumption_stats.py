"""What the city sees of resumption (staff: admin, health officer, reviewer, auditor).

``GET /api/v1/stats/resumption?by=district|industry[&district=]`` → ``{"by", "district",
"rows": [{"key", "firms", "filed", "approved", "rate"}]}``; ``GET
/api/v1/stats/resumption/report?format=html|csv[&district=]``: the analysis report. A
district-scoped account sees its district only (another district: 403).
"""

from __future__ import annotations

from aiohttp import web

from bot.services.filings.report import build_report, report_csv, report_html
from bot.services.filings.stats import BY, resumption_rate
from bot.web.keys import HUB_KEY
from bot.web.middlewares import json_error
from bot.web.staff_auth import district_scope, staff_route

VIEWERS = ("admin", "health_officer", "reviewer", "auditor")


def _district(request: web.Request) -> str | None:
    """The district asked for, within the account's scope (403 outside it)."""
    return district_scope(request)


@staff_route(*VIEWERS)
async def resumption(request: web.Request) -> web.Response:
    by = request.query.get("by", "district")
    if by not in BY:
        return json_error(422, "invalid", "by is district or industry",
                          message_zh="by 须为 district 或 industry。")
    district = _district(request)
    rows = await resumption_rate(request.app[HUB_KEY], by, district=district)
    return web.json_response({"by": by, "district": district,
                              "rows": [r.to_json() for r in rows]})


@staff_route(*VIEWERS)
async def report(request: web.Request) -> web.Response:
    fmt = request.query.get("format", "html")
    if fmt not in ("html", "csv"):
        return json_error(422, "invalid", "format is html or csv",
                          message_zh="format 须为 html 或 csv。")
    built = await build_report(request.app[HUB_KEY], district=_district(request))
    name = f"resumption-{built.day.isoformat()}-{built.district or 'city'}"
    if fmt == "csv":
        return web.Response(text=report_csv(built), content_type="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{name}.csv"',
            "Cache-Control": "no-store"})
    return web.Response(text=report_html(built), content_type="text/html",
                        headers={"Cache-Control": "no-store"})


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/stats/resumption", resumption)
    app.router.add_get("/api/v1/stats/resumption/report", report)


_SEC: list[dict[str, list[str]]] = [{"bearer": []}, {"staffCookie": []}]
OPENAPI_PATHS = {
    "/api/v1/stats/resumption": {"get": {
        "summary": "Resumption rate by district or industry (staff: admin, health_officer, "
                   "reviewer, auditor; district-scoped accounts see their district)",
        "security": _SEC,
        "parameters": [{"name": "by", "in": "query", "schema": {"enum": list(BY)}},
                       {"name": "district", "in": "query", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "{by, district, rows: [{key, firms, filed, "
                                             "approved, rate}]}"},
                      "403": {"description": "another district"}}}},
    "/api/v1/stats/resumption/report": {"get": {
        "summary": "The resumption analysis report, printable HTML or CSV", "security": _SEC,
        "parameters": [{"name": "format", "in": "query", "schema": {"enum": ["html", "csv"]}},
                       {"name": "district", "in": "query", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "text/html or text/csv"}}}},
}
