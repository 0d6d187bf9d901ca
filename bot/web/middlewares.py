"""Cross-cutting web concerns: JSON errors, never a 5xx page or a stack trace for client
input, and headers that are not UTF-8 refused before any handler reads them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy import exc as sa_exc

from bot.db.outage import unavailable

log = logging.getLogger("tongguan.web")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: headers an error keeps when it is rewritten as JSON
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large",
         415: "unsupported_media_type", 422: "invalid", 429: "rate_limited"}


def json_error(status: int, error: str, message: str, **extra: object) -> web.Response:
    """A JSON error body: ``{"error": code, "message": text, ...}``."""
    return web.json_response({"error": error, "message": message, **extra}, status=status)


def wants_json(request: web.Request) -> bool:
    return request.path.startswith("/api/")


def _clean(text: str) -> bool:
    """Whether ``text`` can be encoded: aiohttp keeps bytes that are not UTF-8 as lone
    surrogates, which any later ``encode()`` (a hash, a compare) would fail on."""
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def undecodable_header(request: web.Request) -> str | None:
    """The name of the first header (cookies included) that is not UTF-8, else None."""
    for name, value in request.headers.items():
        if not _clean(value) or not _clean(name):
            return name if _clean(name) else "?"
    return None


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn HTTP errors into JSON under /api and log (never leak) unexpected ones."""
    try:
        bad = undecodable_header(request)
        if bad is not None:
            return json_error(400, "bad_header", f"the {bad} header is not UTF-8 text",
                              message_zh=f"请求头 {bad} 不是有效的 UTF-8 文本。")
        return await handler(request)
    except web.HTTPException as exc:
        if wants_json(request) and exc.status >= 400 and exc.content_type != "application/json":
            resp = json_error(exc.status, CODES.get(exc.status, "error"), exc.reason)
            for name in KEPT_HEADERS:
                if name in exc.headers:
                    resp.headers[name] = exc.headers[name]
            return resp
        raise
    except sa_exc.TimeoutError:  # every database connection busy: overloaded, not broken
        log.warning("web.db_pool_exhausted path=%s", request.path.encode(errors="replace"))
        resp = json_error(503, "busy", "the service is busy; try again in a moment",
                          message_zh="服务繁忙，请稍后再试。")
        resp.headers["Retry-After"] = "2"
        return resp
    except Exception as err:
        if unavailable(err):  # PostgreSQL restarting, failing over: try again shortly
            log.warning("web.db_unavailable path=%s error=%s",
                        request.path.encode(errors="replace"), type(err).__name__)
            return _unavailable(request)
        log.exception("web.unhandled path=%s", request.path.encode(errors="replace"))
        if wants_json(request):
            return json_error(500, "internal", "internal error; it has been logged",
                              message_zh="服务器内部错误，已记录。")
        return web.Response(status=500, text="internal error; it has been logged\n"
                            "服务器内部错误，已记录。")


UNAVAILABLE_RETRY = "5"  #: seconds a client should wait when the database is away


def _unavailable(request: web.Request) -> web.Response:
    """503: the database cannot be reached now (not the request's fault)."""
    en, zh = ("the service cannot reach its database; try again in a moment",
              "服务暂时无法连接数据库，请稍后再试。")
    if wants_json(request):
        resp = json_error(503, "unavailable", en, message_zh=zh)
    else:
        resp = web.Response(status=503, text=f"{en}\n{zh}")
    resp.headers["Retry-After"] = UNAVAILABLE_RETRY
    return resp
