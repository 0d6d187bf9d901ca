"""Who may call a staff route: the one staff login, by cookie or bearer token.

A staff route accepts the session cookie set at ``POST /api/v1/staff/sessions`` (and then,
on a state-changing request, the ``X-CSRF-Token`` header that login returned, also in the
readable ``tg_staff_csrf`` cookie) or ``Authorization: Bearer <token>`` (no CSRF token: a
browser never sends one by itself). A resident's chat token is not a staff token: 401.

Mark a handler with :func:`staff_route` to declare its roles; tests walk every marked
route and call it as the wrong kind of caller.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable, Collection

from aiohttp import web

from bot.services.staff import StaffPrincipal, csrf_token, principal_for
from bot.web.keys import HUB_KEY
from bot.web.middlewares import json_error

COOKIE = "tg_staff"
CSRF_COOKIE = "tg_staff_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: the ``request`` key of the principal a :func:`staff_route` handler is called for
STAFF = web.RequestKey("staff", StaffPrincipal)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _refuse(exc: type[web.HTTPException], status: int, code: str, en: str,
            zh: str) -> web.HTTPException:
    return exc(text=json_error(status, code, en, message_zh=zh).text,
               content_type="application/json")


def credentials(request: web.Request) -> tuple[str, bool]:
    """The staff token a request carries and whether it came by cookie."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and given.strip():
        return given.strip(), False
    return request.cookies.get(COOKIE, ""), True


async def require_staff(request: web.Request, roles: Collection[str]) -> StaffPrincipal:
    """The staff member calling, if they hold one of ``roles``.

    Raises:
        HTTPUnauthorized: no staff credentials, an unknown, expired or logged-out token, or
            a disabled account (401).
        HTTPForbidden: a cookie-authenticated write without the CSRF token, or a role not
            in ``roles`` (403).
    """
    token, by_cookie = credentials(request)
    principal = await principal_for(request.app[HUB_KEY], token) if token else None
    if principal is None:
        raise _refuse(web.HTTPUnauthorized, 401, "unauthorized",
                      "staff login required", "请先以工作人员身份登录。")
    if by_cookie and request.method not in SAFE_METHODS:
        expected = csrf_token(request.app[HUB_KEY], token)
        given = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise _refuse(web.HTTPForbidden, 403, "csrf",
                          f"missing or wrong {CSRF_HEADER} header",
                          "页面已过期，请刷新后重试。")
    if principal.role not in roles:
        raise _refuse(web.HTTPForbidden, 403, "forbidden",
                      f"this needs the role {' or '.join(sorted(roles))}",
                      "您的账号没有这项权限。")
    return principal


def staff_route(*roles: str) -> Callable[[Handler], Handler]:
    """Mark a handler as a staff route for ``roles``: the principal is checked first and
    put at ``request[STAFF]``."""
    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            request[STAFF] = await require_staff(request, roles)
            return await handler(request)

        guarded.staff_roles = roles  # type: ignore[attr-defined]
        return guarded

    return wrap


def staff_of(request: web.Request) -> StaffPrincipal:
    """The principal :func:`staff_route` checked for this request."""
    return request[STAFF]


def district_scope(request: web.Request) -> str | None:
    """The ``district`` a staff request asks for, within its account's scope: an
    unscoped account gets what it asked (None: the city), a district account its own.

    Raises:
        HTTPForbidden: a district account asking for another district (403).
    """
    principal = staff_of(request)
    asked = request.query.get("district") or None
    if principal.district is not None and asked not in (None, principal.district):
        raise _refuse(web.HTTPForbidden, 403, "other_district",
                      "your account sees its own district only", "您的账号只能查看本区数据。")
    return asked or principal.district
