"""Health-code pages: live code, paper code, checkpoint scanner (offline once loaded).

No GET here creates or changes anything:

* ``/code/<token>`` (live page) and ``/code/<token>/current.json`` — the live code of the
  current time slot, signed on the fly and never stored (:mod:`bot.services.health_codes`);
  ``/code/<token>/qr.png`` is its image;
* ``/code/<token>/paper`` (printable page), ``/code/<token>/paper.json`` and
  ``/code/<token>/paper.png`` show the paper code already issued, if any;
* ``POST /code/<token>/paper`` issues a paper code (limited per subject and day, logged);
* ``/checkpoint`` and its service worker.

The JSON APIs under ``/api/v1`` are in :mod:`bot.web.codes_api`.
"""

from __future__ import annotations

import base64
import html
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web

import codes
from bot.db.models.declarations import HealthStatus
from bot.services.declarations import declarations
from bot.services.declarations.service import Declarations
from bot.services.declarations.store import status_by_token, status_json, status_state
from bot.services.health_codes import (
    LiveCode,
    PaperLimitReached,
    StatusNotActive,
    is_proxy,
    issue_paper_code,
    latest_paper_code,
    live_code,
)
from bot.web import codes_api
from bot.web.codes_api import NO_STORE, dcc_certificates, svc_of
from bot.web.keys import HUB_KEY, SETTINGS_KEY
from bot.web.middlewares import json_error
from bot.web.ratelimit import limit as rate_limit

STATIC = Path(__file__).parent / "static"
GONE = {"revoked": ("此码已失效（已有更新的申报或已被撤销）。",
                    "This code is no longer valid (a newer declaration replaced it, or it "
                    "was revoked)."),
        "expired": ("此码已过期，请重新进行健康申报。",
                    "This code has expired; please declare again.")}
PAPER_BY_POST = ("纸质码需在纸质码页面点击「签发纸质码」（POST）领取，打开链接不会生成纸质码。",
                 "Paper codes are issued with the button on the paper-code page (a POST); "
                 "opening a link never creates one.")
NO_PAPER = ("尚未签发纸质码。", "No paper code has been issued yet.")


def _page(path: Path) -> web.FileResponse:
    return web.FileResponse(path, headers={**NO_STORE, "Content-Type": "text/html; charset=utf-8"})


def _error(cls: type[web.HTTPException], status: int, error: str, zh: str, en: str, *,
           headers: dict[str, str] | None = None, **extra: Any) -> web.HTTPException:
    return cls(text=json_error(status, error, en, message_zh=zh, **extra).text,
               content_type="application/json", headers=headers)


async def _active(request: web.Request) -> tuple[Any, HealthStatus]:
    svc = svc_of(request)
    status = await status_by_token(svc, request.match_info["token"])
    if status is None:
        raise web.HTTPNotFound(text=json_error(404, "not_found", "unknown code page",
                                               message_zh="未知的健康码页面").text,
                               content_type="application/json")
    state = status_state(status, svc.hub.clock.now())
    if state != "active":
        zh, en = GONE[state]
        raise _error(web.HTTPGone, 410, state, zh, en)
    return svc, status


def _qr(text: str) -> str:
    return "data:image/png;base64," + base64.b64encode(codes.render_png(text).data).decode()


async def _code_json(svc: Any, status: HealthStatus, *, kind: str, text: str,
                     issued_at: datetime, expires_at: datetime,
                     **extra: Any) -> dict[str, Any]:
    now = svc.hub.clock.now()
    return {**status_json(status, now), "subject": None, "kind": kind, "code": text,
            "qr": _qr(text), "proxy": await is_proxy(svc, status),
            "code_issued_at": issued_at.isoformat(), "code_expires_at": expires_at.isoformat(),
            "server_time": now.isoformat(), **extra}


async def code_page(request: web.Request) -> web.StreamResponse:
    return _page(STATIC / "code" / "index.html")


async def paper_page(request: web.Request) -> web.StreamResponse:
    return _page(STATIC / "code" / "paper.html")


async def _live(svc: Declarations, status: HealthStatus) -> LiveCode:
    """The live code, or 410 ``revoked`` when a revocation committed meanwhile."""
    try:
        return await live_code(svc, status)
    except StatusNotActive:
        zh, en = GONE["revoked"]
        raise _error(web.HTTPGone, 410, "revoked", zh, en) from None


async def current(request: web.Request) -> web.Response:
    """The live code of the current slot (signed now or earlier this slot; never stored)."""
    svc, status = await _active(request)
    if request.query.get("kind", "live") != "live":
        raise _error(web.HTTPBadRequest, 400, "paper_by_post", *PAPER_BY_POST)
    code = await _live(svc, status)
    body = await _code_json(svc, status, kind="live", text=code.text, issued_at=code.issued_at,
                            expires_at=code.expires_at, refresh_at=code.refresh_at.isoformat())
    return web.json_response(body, headers=NO_STORE)


async def paper_json(request: web.Request) -> web.Response:
    """The paper code already issued for this page's status (404 ``no_paper_code``)."""
    svc, status = await _active(request)
    row = await latest_paper_code(svc, status)
    if row is None:
        raise _error(web.HTTPNotFound, 404, "no_paper_code", *NO_PAPER)
    body = await _code_json(svc, status, kind="paper", text=row.text, issued_at=row.issued_at,
                            expires_at=row.expires_at)
    return web.json_response(body, headers=NO_STORE)


async def issue_paper(request: web.Request) -> web.Response:
    """POST: issue a paper code from the resident's own code page (limited, logged)."""
    await rate_limit(request, "paper", request.match_info["token"])  # requests, not codes
    svc, status = await _active(request)
    limit = request.app[SETTINGS_KEY].codes.paper_per_day
    try:
        row = await issue_paper_code(svc, status, channel="resident", actor="resident",
                                     limit=limit)
    except PaperLimitReached as err:
        until = err.until.isoformat()
        raise _error(
            web.HTTPTooManyRequests, 429, "paper_limit",
            f"今天已签发过纸质码（每 24 小时 {limit} 张），请于 {until} 后再试；"
            "如需帮助请联系社区工作人员。",
            f"A paper code was already issued today ({limit} per 24 hours); try again after "
            f"{until}, or ask your community worker.",
            retry_after=err.retry_after, retry_at=until,
            headers={"Retry-After": str(err.retry_after), **NO_STORE}) from None
    except StatusNotActive:
        zh, en = GONE["revoked"]
        raise _error(web.HTTPGone, 410, "revoked", zh, en) from None
    body = await _code_json(svc, status, kind="paper", text=row.text, issued_at=row.issued_at,
                            expires_at=row.expires_at)
    return web.json_response(body, status=201, headers=NO_STORE)


async def qr_png(request: web.Request) -> web.Response:
    """``qr.png``: the live code; ``paper.png``: the issued paper code (never issues one)."""
    svc, status = await _active(request)
    if request.match_info["kind"] == "paper":
        row = await latest_paper_code(svc, status)
        if row is None:
            raise _error(web.HTTPNotFound, 404, "no_paper_code", *NO_PAPER)
        text = row.text
    else:
        text = (await _live(svc, status)).text
    return web.Response(body=codes.render_png(text).data, content_type="image/png",
                        headers=NO_STORE)


async def checkpoint(request: web.Request) -> web.StreamResponse:
    """The scanner page, told the revocation-list age that turns a verdict amber."""
    stale = request.app[SETTINGS_KEY].codes.revocation_stale_minutes * 60
    page = (STATIC / "checkpoint" / "index.html").read_text(encoding="utf-8")
    page = page.replace(
        "<body>", f'<body data-revocation-stale-seconds="{html.escape(str(stale))}">', 1)
    return web.Response(text=page, content_type="text/html", charset="utf-8",
                        headers=NO_STORE)


async def service_worker(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "checkpoint" / "sw.js", headers={
        **NO_STORE, "Content-Type": "text/javascript", "Service-Worker-Allowed": "/"})


def setup(app: web.Application) -> None:
    async def keys_ready(app: web.Application) -> None:
        hub = app[HUB_KEY]
        declarations(hub)  # load rules, open (or create) signing keys at start
        dcc_certificates(hub)  # a broken DCC trust file stops start-up, with its name

    app.on_startup.append(keys_ready)
    r = app.router
    r.add_get("/checkpoint", checkpoint)
    r.add_get("/checkpoint-sw.js", service_worker)
    r.add_static("/checkpoint-assets/", STATIC / "checkpoint")
    r.add_static("/code-assets/", STATIC / "code")
    r.add_get("/code/{token}", code_page)
    r.add_get("/code/{token}/paper", paper_page)
    r.add_post("/code/{token}/paper", issue_paper)
    r.add_get("/code/{token}/paper.json", paper_json)
    r.add_get("/code/{token}/current.json", current)
    r.add_get("/code/{token}/{kind:qr|paper}.png", qr_png)
    codes_api.setup(app)  # idempotent; stays harmless once codes_api is in FEATURE_MODULES


_CODE = {"application/json": {"schema": {"type": "object"}}}
_ERR = {"description": "error (zh and en message)", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Error"}}}}
OPENAPI_PATHS = {
    **codes_api.OPENAPI_PATHS,
    "/code/{token}/current.json": {"get": {
        "summary": "The live code of the current slot (signed on the fly, never stored; "
                   "fetch again at refresh_at)", "security": [],
        "responses": {"200": {"description": "live code", "content": _CODE}, "400": _ERR,
                      "404": _ERR, "410": _ERR}}},
    "/code/{token}/paper": {"post": {
        "summary": "Issue a paper code from the resident's code page (codes.paper_per_day "
                   "per subject per 24 h; logged in code_issues)", "security": [],
        "responses": {"201": {"description": "paper code", "content": _CODE},
                      "404": _ERR, "410": _ERR,
                      "429": {**_ERR, "description": "limit reached; Retry-After header"}}}},
    "/code/{token}/paper.json": {"get": {
        "summary": "The paper code already issued (never issues one)", "security": [],
        "responses": {"200": {"description": "paper code", "content": _CODE}, "404": _ERR,
                      "410": _ERR}}},
}
