"""Staff login and logout, who am I, and the audit log.

``POST /api/v1/staff/sessions`` ``{"username","password"}`` → ``{"token","username","role",
"district","store","csrf_token","expires_at"}`` plus the HttpOnly session cookie and the
readable CSRF cookie; ``DELETE /api/v1/staff/sessions`` logs out; ``GET
/api/v1/staff/me``; ``GET /api/v1/staff/audit`` (admin, auditor).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiohttp import web

from bot.hub import Hub
from bot.roles import STAFF_ROLES
from bot.services.staff import StaffError, StaffPrincipal, csrf_token, login, logout, read_audit
from bot.web.json_body import read_json_object
from bot.web.keys import HUB_KEY
from bot.web.middlewares import json_error
from bot.web.ratelimit import LIMITER_KEY, client_address, limit
from bot.web.staff_auth import COOKIE, CSRF_COOKIE, credentials, staff_of, staff_route

#: a source (client address) with this many failed logins in :data:`SLOW_WINDOW` waits
#: before each further answer, doubling up to :data:`SLOW_MAX` seconds; counted with the
#: abuse limits' counters (shared by every process when Redis is configured)
SLOW_AFTER = 3
SLOW_WINDOW = timedelta(minutes=15)
SLOW_MAX = 8.0


def slow_down(failures_before: float) -> float:
    """Seconds a source waits after a failed login, given its failures before this one."""
    return 0.0 if failures_before < SLOW_AFTER else \
        min(SLOW_MAX, 0.5 * 2 ** (failures_before - SLOW_AFTER))


async def _failed_from(request: web.Request, source: str) -> float:
    """Count a failed login of ``source``; the delay its answer waits."""
    limiter = request.app.get(LIMITER_KEY)
    if limiter is None:
        return 0.0
    count = await limiter.counters.hit(f"login_fail:{source}", SLOW_WINDOW.total_seconds())
    return slow_down(round(count.estimate) - 1)


def staff_error(err: StaffError) -> web.Response:
    """A :class:`StaffError` as a JSON response (``message`` en, ``message_zh``)."""
    resp = json_error(err.status, err.code, err.en, message_zh=err.zh)
    if err.retry_after is not None:
        resp.headers["Retry-After"] = str(err.retry_after)
    return resp


def _secure(hub: Hub) -> bool:
    return hub.settings.public_url.startswith("https")


async def create_session(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    body = await read_json_object(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return json_error(422, "invalid", "username and password are required strings",
                          message_zh="请填写用户名和密码。")
    source = client_address(request)
    await limit(request, "staff_login_address", source)
    await limit(request, "staff_login", username.strip().lower()[:60])
    try:
        done = await login(hub, username, password, source=source)
    except StaffError as err:
        if err.code != "busy":
            await asyncio.sleep(await _failed_from(request, source))  # slow a guesser down
        return staff_error(err)
    csrf = csrf_token(hub, done.token)
    resp = web.json_response({"token": done.token, **done.principal.to_json(),
                              "csrf_token": csrf, "expires_at": done.expires_at.isoformat()})
    age = int((done.expires_at - hub.clock.now()).total_seconds())
    resp.set_cookie(COOKIE, done.token, httponly=True, samesite="Strict", path="/",
                    secure=_secure(hub), max_age=age)
    resp.set_cookie(CSRF_COOKIE, csrf, httponly=False, samesite="Strict", path="/",
                    secure=_secure(hub), max_age=age)
    return resp


def clear_cookies(resp: web.StreamResponse) -> None:
    resp.del_cookie(COOKIE, path="/")
    resp.del_cookie(CSRF_COOKIE, path="/")


@staff_route(*STAFF_ROLES)
async def delete_session(request: web.Request) -> web.Response:
    token, _ = credentials(request)
    await logout(request.app[HUB_KEY], token, staff_of(request))
    resp = web.json_response({"ok": True})
    clear_cookies(resp)
    return resp


@staff_route(*STAFF_ROLES)
async def me(request: web.Request) -> web.Response:
    principal: StaffPrincipal = staff_of(request)
    token, by_cookie = credentials(request)
    data: dict[str, object] = {**principal.to_json()}
    if by_cookie:  # a page reloaded: it needs the CSRF token again
        data["csrf_token"] = csrf_token(request.app[HUB_KEY], token)
    return web.json_response(data)


@staff_route("admin", "auditor")
async def audit_log(request: web.Request) -> web.Response:
    try:
        limit = min(500, max(1, int(request.query.get("limit", "100"))))
        before = int(request.query["before"]) if "before" in request.query else None
    except ValueError:
        return json_error(422, "invalid", "limit and before are integers",
                          message_zh="limit 和 before 须为整数。")
    actor = request.query.get("actor") or None
    entries = await read_audit(request.app[HUB_KEY], limit=limit, actor=actor, before=before)
    return web.json_response({"items": [e.to_json() for e in entries],
                              "next_before": entries[-1].id if len(entries) == limit else None})


def setup(app: web.Application) -> None:
    app.router.add_post("/api/v1/staff/sessions", create_session)
    app.router.add_delete("/api/v1/staff/sessions", delete_session)
    app.router.add_get("/api/v1/staff/me", me)
    app.router.add_get("/api/v1/staff/audit", audit_log)


_STAFF_SEC: list[dict[str, list[str]]] = [{"bearer": []}, {"staffCookie": []}]
OPENAPI_PATHS = {
    "/api/v1/staff/sessions": {
        "post": {"summary": "Staff login: a token (also set as an HttpOnly cookie) and the "
                            "CSRF token cookie-authenticated writes send as X-CSRF-Token",
                 "security": [],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "type": "object", "required": ["username", "password"],
                     "properties": {"username": {"type": "string"},
                                    "password": {"type": "string"}}}}}},
                 "responses": {"200": {"description": "token, username, role, district, "
                                                      "store, csrf_token, expires_at"},
                               "401": {"description": "bad_login"},
                               "429": {"description": "locked (Retry-After)"}}},
        "delete": {"summary": "Log out", "security": _STAFF_SEC,
                   "responses": {"200": {"description": "ok"}}}},
    "/api/v1/staff/me": {"get": {"summary": "The staff member logged in", "security": _STAFF_SEC,
                                 "responses": {"200": {"description": "username, role, "
                                                                      "district, store"}}}},
    "/api/v1/staff/audit": {"get": {
        "summary": "The staff audit log, newest first (admin, auditor); ?limit=&before=&actor=",
        "security": _STAFF_SEC, "responses": {"200": {"description": "items, next_before"}}}},
}
