"""Health-code pages: live code, paper code, checkpoint scanner (offline once loaded).

``/code/<token>`` (live page) with ``/code/<token>/current.json`` (its current code) and
``/code/<token>/{qr,paper}.png``; ``/code/<token>/paper`` (printable); ``/checkpoint``
and its service worker. The JSON APIs under ``/api/v1`` are in :mod:`bot.web.codes_api`.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from aiohttp import web

import codes
from bot.services.declarations import declarations
from bot.services.declarations.store import (
    current_code,
    status_by_token,
    status_json,
    status_state,
)
from bot.web import codes_api
from bot.web.codes_api import NO_STORE, svc_of
from bot.web.keys import HUB_KEY
from bot.web.middlewares import json_error

#: Until ``bot.web.codes_api`` is in FEATURE_MODULES, its paths are listed from here too.
OPENAPI_PATHS = codes_api.OPENAPI_PATHS
STATIC = Path(__file__).parent / "static"
GONE = {"revoked": ("此码已失效（已有更新的申报或已被撤销）。",
                    "This code is no longer valid (a newer declaration replaced it, or it "
                    "was revoked)."),
        "expired": ("此码已过期，请重新进行健康申报。",
                    "This code has expired; please declare again.")}


def _page(path: Path) -> web.FileResponse:
    return web.FileResponse(path, headers={**NO_STORE, "Content-Type": "text/html; charset=utf-8"})


async def _active(request: web.Request) -> Any:
    svc = svc_of(request)
    status = await status_by_token(svc, request.match_info["token"])
    if status is None:
        raise web.HTTPNotFound(text=json_error(404, "not_found", "unknown code page").text,
                               content_type="application/json")
    state = status_state(status, svc.hub.clock.now())
    if state != "active":
        zh, en = GONE[state]
        raise web.HTTPGone(text=json_error(410, state, en, message_zh=zh).text,
                           content_type="application/json")
    return svc, status


async def code_page(request: web.Request) -> web.StreamResponse:
    return _page(STATIC / "code" / "index.html")


async def paper_page(request: web.Request) -> web.StreamResponse:
    return _page(STATIC / "code" / "paper.html")


async def current(request: web.Request) -> web.Response:
    """The current short-lived code of a live page (or the paper code with ?kind=paper)."""
    svc, status = await _active(request)
    kind = "paper" if request.query.get("kind") == "paper" else "live"
    code = await current_code(svc, status, kind=kind)
    png = codes.render_png(code.text).data
    return web.json_response({
        **status_json(status, svc.hub.clock.now()), "subject": None, "kind": kind,
        "code": code.text, "qr": "data:image/png;base64," + base64.b64encode(png).decode(),
        "code_issued_at": code.issued_at.isoformat(),
        "code_expires_at": code.expires_at.isoformat(),
        "server_time": svc.hub.clock.now().isoformat()}, headers=NO_STORE)


async def qr_png(request: web.Request) -> web.Response:
    svc, status = await _active(request)
    kind = "paper" if request.match_info["kind"] == "paper" else "live"
    code = await current_code(svc, status, kind=kind)
    return web.Response(body=codes.render_png(code.text).data, content_type="image/png",
                        headers=NO_STORE)


async def checkpoint(request: web.Request) -> web.StreamResponse:
    return _page(STATIC / "checkpoint" / "index.html")


async def service_worker(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "checkpoint" / "sw.js", headers={
        **NO_STORE, "Content-Type": "text/javascript", "Service-Worker-Allowed": "/"})


def setup(app: web.Application) -> None:
    async def keys_ready(app: web.Application) -> None:
        declarations(app[HUB_KEY])  # load rules, open (or create) signing keys at start

    app.on_startup.append(keys_ready)
    r = app.router
    r.add_get("/checkpoint", checkpoint)
    r.add_get("/checkpoint-sw.js", service_worker)
    r.add_static("/checkpoint-assets/", STATIC / "checkpoint")
    r.add_static("/code-assets/", STATIC / "code")
    r.add_get("/code/{token}", code_page)
    r.add_get("/code/{token}/paper", paper_page)
    r.add_get("/code/{token}/current.json", current)
    r.add_get("/code/{token}/{kind:qr|paper}.png", qr_png)
    codes_api.setup(app)  # idempotent; stays harmless once codes_api is in FEATURE_MODULES
