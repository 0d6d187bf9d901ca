"""Health-code pages and APIs: live code page, paper code, checkpoint, lists, verify, status.

Pages: ``/code/<token>`` (live code), ``/code/<token>/paper`` (printable),
``/checkpoint`` (scanner; works offline once loaded). JSON: ``/code/<token>/current.json``,
``/api/v1/trust-list``, ``/api/v1/revocations``, ``/api/v1/list-signer``,
``POST /api/v1/verify``, ``POST /api/v1/status`` (admin bearer ``TONGGUAN_ADMIN_TOKEN``),
``POST /api/v1/checkins`` (opted-in venues). Checkpoint scans are never recorded.
"""

from __future__ import annotations

import base64
import hmac
import logging
import os
from pathlib import Path
from typing import Any

from aiohttp import web

import codes
from bot.services.declarations import declarations, set_status
from bot.services.declarations.checkins import record_checkin, venue_for
from bot.services.declarations.service import Declarations
from bot.services.declarations.signing import PAPER_TTL
from bot.services.declarations.store import (
    current_code,
    revoked_code_ids,
    status_by_token,
    status_json,
    status_state,
)
from bot.web.chat_api import read_json_object
from bot.web.keys import HUB_KEY
from bot.web.middlewares import json_error

log = logging.getLogger("tongguan.web")
STATIC = Path(__file__).parent / "static"
ADMIN_TOKEN_ENV = "TONGGUAN_ADMIN_TOKEN"
NO_STORE = {"Cache-Control": "no-store"}
GONE = {"revoked": ("此码已失效（已有更新的申报或已被撤销）。",
                    "This code is no longer valid (a newer declaration replaced it, or it "
                    "was revoked)."),
        "expired": ("此码已过期，请重新进行健康申报。",
                    "This code has expired; please declare again.")}


def _svc(request: web.Request) -> Declarations:
    return declarations(request.app[HUB_KEY])


def _page(path: Path) -> web.FileResponse:
    return web.FileResponse(path, headers={**NO_STORE, "Content-Type": "text/html; charset=utf-8"})


async def _active(request: web.Request) -> Any:
    svc = _svc(request)
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
    code = await current_code(svc, status, kind=kind,
                              **({"ttl": PAPER_TTL} if kind == "paper" else {}))
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
    code = await current_code(svc, status, kind=kind,
                              **({"ttl": PAPER_TTL} if kind == "paper" else {}))
    return web.Response(body=codes.render_png(code.text).data, content_type="image/png",
                        headers=NO_STORE)


async def trust_list(request: web.Request) -> web.Response:
    svc = _svc(request)
    return web.Response(text=svc.signing.trust_list(svc.hub.clock.now()),
                        content_type="application/json", headers=NO_STORE)


async def revocations(request: web.Request) -> web.Response:
    svc = _svc(request)
    text = svc.signing.revocation_list(await revoked_code_ids(svc), svc.hub.clock.now())
    return web.Response(text=text, content_type="application/json", headers=NO_STORE)


async def list_signer(request: web.Request) -> web.Response:
    return web.Response(text=_svc(request).signing.list_signer_pem(),
                        content_type="application/x-pem-file")


async def _verdict(svc: Declarations, request: web.Request) -> codes.Verdict:
    now = svc.hub.clock.now()
    verifier = svc.signing.verifier(await revoked_code_ids(svc), now)
    if request.content_type.startswith("image/"):
        data = await request.read()
        try:
            texts = codes.decode_image(data)
        except codes.QRError as err:
            return codes.Verdict(False, err.reason, codes.message(err.reason, "en"),
                                 codes.message(err.reason, "zh"))
        verdicts = [verifier.verify(t, at=now) for t in texts]
        return next((v for v in verdicts if v.valid), verdicts[0])
    body = await read_json_object(request)
    text = body.get("code")
    if not isinstance(text, str):
        raise web.HTTPUnprocessableEntity(
            text=json_error(422, "invalid", "send {\"code\": \"TG1:...\"}").text,
            content_type="application/json")
    return verifier.verify(text, at=now)


async def verify(request: web.Request) -> web.Response:
    """Server-side verdict for devices that prefer not to verify themselves."""
    verdict = await _verdict(_svc(request), request)
    data = verdict.to_dict()
    data.pop("detail", None)
    if data["claims"]:
        data["claims"] = {k: v for k, v in data["claims"].items() if k != "cti"}
    return web.json_response(data, headers=NO_STORE)


def _unauthorized(message: str) -> web.HTTPUnauthorized:
    return web.HTTPUnauthorized(text=json_error(401, "unauthorized", message).text,
                                content_type="application/json")


def _require_admin(request: web.Request) -> None:
    expected = os.environ.get(ADMIN_TOKEN_ENV, "")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer" \
            or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        raise _unauthorized("admin token required")


async def post_status(request: web.Request) -> web.Response:
    """An admin sets a subject's colour; earlier codes are revoked."""
    _require_admin(request)
    body = await read_json_object(request)
    subject, color = body.get("subject"), body.get("color")
    zh, en = body.get("reason_zh"), body.get("reason_en")
    hours = body.get("hours")
    if not isinstance(subject, str) or color not in ("green", "yellow", "red") \
            or not isinstance(zh, str) or not zh.strip() or not isinstance(en, str) \
            or not en.strip() or len(zh) + len(en) > 400 \
            or not (hours is None or (isinstance(hours, int) and 1 <= hours <= 168)):
        raise web.HTTPUnprocessableEntity(text=json_error(
            422, "invalid", "need subject, color (green/yellow/red), reason_zh, reason_en "
            "(≤ 400 chars together), optional hours 1-168").text, content_type="application/json")
    try:
        status, revoked = await set_status(_svc(request), subject=subject, color=color,
                                           reason_zh=zh.strip(), reason_en=en.strip(),
                                           hours=hours)
    except LookupError:
        raise web.HTTPNotFound(text=json_error(404, "not_found", "unknown subject").text,
                               content_type="application/json") from None
    return web.json_response({"subject": subject, "color": status.color, "revoked": revoked,
                              "valid_until": status.valid_until.isoformat()})


async def post_checkin(request: web.Request) -> web.Response:
    """A scan at an opted-in venue (bearer = venue token): kept 21 days."""
    svc = _svc(request)
    _, _, token = request.headers.get("Authorization", "").partition(" ")
    venue = await venue_for(svc, token.strip())
    if venue is None:
        raise _unauthorized("venue token required")
    verdict = await _verdict(svc, request)
    if verdict.valid:
        await record_checkin(svc, venue, str(verdict.claims.get("sub", "")),
                             svc.hub.clock.now())
    return web.json_response({"recorded": verdict.valid, "valid": verdict.valid,
                              "reason": verdict.reason, "message": verdict.message,
                              "message_zh": verdict.message_zh, "venue": venue.name})


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
    r.add_get("/api/v1/trust-list", trust_list)
    r.add_get("/api/v1/revocations", revocations)
    r.add_get("/api/v1/list-signer", list_signer)
    r.add_post("/api/v1/verify", verify)
    r.add_post("/api/v1/status", post_status)
    r.add_post("/api/v1/checkins", post_checkin)


_SIGNED = {"200": {"description": "signed JSON"}}
_JSON = {"application/json": {"schema": {"type": "object"}}}
_ERR = {"description": "error", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}
OPENAPI_PATHS = {
    "/api/v1/trust-list": {"get": {"summary": "Signed trust list (code-signing keys)",
                                   "security": [], "responses": _SIGNED}},
    "/api/v1/revocations": {"get": {"summary": "Signed revocation list (re-signed per request)",
                                    "security": [], "responses": _SIGNED}},
    "/api/v1/list-signer": {"get": {"summary": "Public key (PEM) that signs both lists",
                                    "security": [], "responses": {"200": {"description": "PEM"}}}},
    "/api/v1/verify": {"post": {
        "summary": "Verify a code ({\"code\"}) or a QR image (image/*); scans are not recorded",
        "security": [], "requestBody": {"content": {
            "application/json": {"schema": {"type": "object", "required": ["code"], "properties": {
                "code": {"type": "string"}}}}, "image/png": {}, "image/jpeg": {}}},
        "responses": {"200": {"description": "verdict", "content": _JSON},
                      "400": _ERR, "413": _ERR, "422": _ERR}}},
    "/api/v1/status": {"post": {
        "summary": "Admin: set a subject's colour (revokes earlier codes); "
                   "bearer TONGGUAN_ADMIN_TOKEN",
        "requestBody": {"content": {"application/json": {"schema": {
            "type": "object", "required": ["subject", "color", "reason_zh", "reason_en"],
            "properties": {"subject": {"type": "string"},
                           "color": {"enum": ["green", "yellow", "red"]},
                           "reason_zh": {"type": "string"}, "reason_en": {"type": "string"},
                           "hours": {"type": "integer", "minimum": 1, "maximum": 168}}}}}},
        "responses": {"200": {"description": "new status", "content": _JSON},
                      "401": _ERR, "404": _ERR, "422": _ERR}}},
    "/api/v1/checkins": {"post": {
        "summary": "Opted-in venue: verify and record a check-in (kept 21 days); "
                   "bearer venue token",
        "responses": {"200": {"description": "verdict", "content": _JSON}, "401": _ERR}}},
}
