"""The operations view's JSON, live stream and report (staff: admin, health_officer,
auditor; an account with a district sees that district only — another one: 403).

* ``GET /api/v1/ops/summary?district=`` — today's numbers (the city's day,
  ``ops.timezone``): ``{"date", "district", "declarations": {"total", "green", "yellow",
  "red"}, "codes", "quarantine", "screenings", "checkins", "reservations", "stock",
  "filings", "resumption", "handoffs", "districts", "streets", "buildings" (the top 10),
  "trend", "highlights"}`` (docs/ops.md).
* ``GET /api/v1/ops/stream?district=`` — Server-Sent Events: a ``data:`` line with the
  same JSON at once, then ``event: patch`` events whose ``data:`` is an RFC 7386 merge
  patch of what changed (at most one a poll); a comment line every 15 s keeps it open.
  Every open stream of a process is fed by one poll (:mod:`bot.services.ops.live`).
* ``GET /api/v1/ops/buildings?district=&community=&sort=&order=&offset=&limit=`` — every
  building's row of today (the summary lists the top 10 only), by page.
* ``GET /api/v1/ops/report?date=YYYY-MM-DD&district=&format=html|pdf|csv`` — the daily
  report (audited as ``ops.report``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import date
from typing import Any

from aiohttp import web

from bot.services.ops.geo import districts
from bot.services.ops.live import ops_live
from bot.services.ops.report import FORMATS, build_report, report_csv
from bot.services.ops.report_html import report_html
from bot.services.ops.report_pdf import report_pdf
from bot.services.ops.summary import BUILDING_ALL
from bot.services.staff import audit, principal_for
from bot.web.keys import HUB_KEY
from bot.web.middlewares import json_error
from bot.web.staff_auth import credentials, district_scope, staff_of, staff_route

VIEWERS = ("admin", "health_officer", "auditor")
KEEPALIVE_SECONDS = 15.0
NO_STORE = {"Cache-Control": "no-store"}
MAX_PAGE = 500  #: buildings a page at most


def _scope(request: web.Request) -> str | None:
    district = district_scope(request)
    if district is not None and district not in {d.code for d in districts()}:
        raise web.HTTPUnprocessableEntity(text=json_error(
            422, "unknown_district", f"no district {district[:40]!r}",
            message_zh="没有这个区。").text, content_type="application/json")
    return district


@staff_route(*VIEWERS)
async def summary(request: web.Request) -> web.Response:
    text = await ops_live(request.app[HUB_KEY]).text(_scope(request))
    return web.Response(text=text, content_type="application/json", headers=NO_STORE)


@staff_route(*VIEWERS)
async def stream(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB_KEY]
    district = _scope(request)
    token, _ = credentials(request)
    live = ops_live(hub)
    listener = live.listen(district)
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream; charset=utf-8", "X-Accel-Buffering": "no",
        **NO_STORE})
    try:
        await response.prepare(request)
        first = await live.first(listener)
        await response.write(f"retry: 2000\ndata: {first}\n\n".encode())
        while True:
            try:
                await asyncio.wait_for(listener.wake.wait(), KEEPALIVE_SECONDS)
            except TimeoutError:
                if await principal_for(hub, token) is None:  # logged out, disabled
                    break
                await response.write(b": keep-alive\n\n")
                continue
            listener.wake.clear()
            if listener.closed:
                break
            if (frame := live.message(listener)) is not None:
                await response.write(frame)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        live.forget(listener)
    with contextlib.suppress(ConnectionResetError):
        await response.write_eof()
    return response


def _bad(message: str, message_zh: str) -> web.HTTPUnprocessableEntity:
    return web.HTTPUnprocessableEntity(text=json_error(
        422, "invalid", message, message_zh=message_zh).text, content_type="application/json")


def _number(request: web.Request, name: str, default: int, top: int) -> int:
    raw = request.query.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or int(raw) > top:
        raise _bad(f"{name} is a whole number up to {top}", f"{name} 须为不超过 {top} 的整数。")
    return int(raw)


def _order(value: Any, k: int) -> float:
    """A cell to sort by: a small cell ("<k") ranks as one value, whatever it hides."""
    return value if isinstance(value, int) else k - 0.5


@staff_route(*VIEWERS)
async def buildings(request: web.Request) -> web.Response:
    """Every building's row of the scope, filtered, sorted and by page."""
    district = _scope(request)
    community = request.query.get("community") or None
    sort = request.query.get("sort", "yellow_red")
    if sort not in BUILDING_ALL and sort not in ("name", "place"):
        raise _bad("sort is a column of the table", "sort 须为表中的一列。")
    order = request.query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise _bad("order is asc or desc", "order 须为 asc 或 desc。")
    offset = _number(request, "offset", 0, 10_000_000)
    limit = _number(request, "limit", 50, MAX_PAGE) or 1
    hub = request.app[HUB_KEY]
    k = hub.settings.ops.small_cell

    def arrange(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if community is not None:
            rows = [r for r in rows if r["name"] == community]
        if sort in BUILDING_ALL:
            sign = -1 if order == "desc" else 1
            return sorted(rows, key=lambda r: (_order(r[sort], k) * sign, r["district"],
                                               r["name"], r["place"]))
        return sorted(rows, key=lambda r: (r[sort], r["district"], r["name"], r["place"]),
                      reverse=order == "desc")

    day, rows = await ops_live(hub).buildings(district, (community, sort, order), arrange)
    body = {"date": day, "district": district, "community": community, "sort": sort,
            "order": order, "total": len(rows), "offset": offset, "limit": limit,
            "small_cell": k, "items": rows[offset:offset + limit]}
    return web.json_response(body, headers=NO_STORE,
                             dumps=lambda v: json.dumps(v, ensure_ascii=False))


@staff_route(*VIEWERS)
async def report(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    fmt = request.query.get("format", "html")
    if fmt not in FORMATS:
        return json_error(422, "invalid", "format is html, pdf or csv",
                          message_zh="format 须为 html、pdf 或 csv。")
    try:
        day = date.fromisoformat(request.query["date"]) if request.query.get("date") else None
    except ValueError:
        return json_error(422, "invalid", "date is YYYY-MM-DD",
                          message_zh="date 须为 YYYY-MM-DD 格式。")
    district = _scope(request)
    built = await build_report(hub, day, district)
    await audit(hub, actor=staff_of(request).actor, action="ops.report",
                object=built.name, detail={"format": fmt})
    attach = {"Content-Disposition": f'attachment; filename="{built.name}.{fmt}"',
              **NO_STORE}
    if fmt == "csv":
        return web.Response(text=report_csv(built), content_type="text/csv", headers=attach)
    if fmt == "pdf":
        body = await asyncio.to_thread(report_pdf, built)  # CPU: off the event loop
        return web.Response(body=body, content_type="application/pdf", headers=attach)
    return web.Response(text=report_html(built), content_type="text/html", headers=NO_STORE)


async def _close_streams(app: web.Application) -> None:
    await ops_live(app[HUB_KEY]).close()


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/ops/summary", summary)
    app.router.add_get("/api/v1/ops/stream", stream)
    app.router.add_get("/api/v1/ops/buildings", buildings)
    app.router.add_get("/api/v1/ops/report", report)
    app.on_shutdown.append(_close_streams)


_SEC: list[dict[str, list[str]]] = [{"bearer": []}, {"staffCookie": []}]
_DISTRICT = {"name": "district", "in": "query", "schema": {"type": "string"}}
OPENAPI_PATHS = {
    "/api/v1/ops/summary": {"get": {
        "summary": "Today's operations numbers (staff: admin, health_officer, auditor; "
                   "district accounts see their district)", "security": _SEC,
        "parameters": [_DISTRICT],
        "responses": {"200": {"description": "{date, district, declarations: {total, green, "
                                             "yellow, red}, codes, quarantine, screenings, "
                                             "checkins, reservations, stock, filings, "
                                             "resumption, handoffs, districts, streets, "
                                             "buildings (the top 10; every one: "
                                             "/api/v1/ops/buildings), trend, highlights}"},
                      "403": {"description": "another district"},
                      "422": {"description": "unknown district"}}}},
    "/api/v1/ops/stream": {"get": {
        "summary": "Server-Sent Events: the summary JSON first, then (event: patch) an RFC "
                   "7386 merge patch of what changed, at most one a poll (ops.poll_seconds)",
        "security": _SEC, "parameters": [_DISTRICT],
        "responses": {"200": {"description": "text/event-stream"}}}},
    "/api/v1/ops/buildings": {"get": {
        "summary": "Today's rows of every building (declarations and screenings; small "
                   "cells \"<3\", buildings whose every count is small merged into their "
                   "district's other row), filtered, sorted and by page",
        "security": _SEC,
        "parameters": [_DISTRICT,
                       {"name": "community", "in": "query", "schema": {"type": "string"},
                        "description": "a street/community row's name"},
                       {"name": "sort", "in": "query", "schema": {
                           "enum": [*BUILDING_ALL, "name", "place"],
                           "default": "yellow_red"}},
                       {"name": "order", "in": "query", "schema": {
                           "enum": ["desc", "asc"], "default": "desc"}},
                       {"name": "offset", "in": "query", "schema": {
                           "type": "integer", "minimum": 0, "default": 0}},
                       {"name": "limit", "in": "query", "schema": {
                           "type": "integer", "minimum": 1, "maximum": MAX_PAGE,
                           "default": 50}}],
        "responses": {"200": {"description": "{date, district, community, sort, order, "
                                             "total, offset, limit, small_cell, items: "
                                             "[{district, name, place, declarations, "
                                             "yellow, red, yellow_red, screenings, "
                                             "households, people_home, people_quarantine, "
                                             "people_returned}]}"},
                      "403": {"description": "another district"},
                      "422": {"description": "unknown district, bad sort/order/offset/limit"}}}},
    "/api/v1/ops/report": {"get": {
        "summary": "The daily operations report", "security": _SEC,
        "parameters": [{"name": "date", "in": "query", "schema": {"type": "string",
                                                                   "format": "date"}},
                       _DISTRICT,
                       {"name": "format", "in": "query",
                        "schema": {"enum": list(FORMATS)}}],
        "responses": {"200": {"description": "text/html, application/pdf or text/csv"}}}},
}
