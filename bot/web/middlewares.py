"""Cross-cutting web concerns: JSON errors, never a 5xx page for client input."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger("tongguan.web")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_error(status: int, error: str, message: str, **extra: object) -> web.Response:
    """A JSON error body: ``{"error": code, "message": text, ...}``."""
    return web.json_response({"error": error, "message": message, **extra}, status=status)


def wants_json(request: web.Request) -> bool:
    return request.path.startswith("/api/")


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn HTTP errors into JSON under /api and log (never leak) unexpected ones."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if wants_json(request) and exc.status >= 400 and exc.content_type != "application/json":
            code = {400: "bad_request", 401: "unauthorized", 403: "forbidden",
                    404: "not_found", 405: "method_not_allowed", 409: "conflict",
                    413: "too_large", 415: "unsupported_media_type", 422: "invalid",
                    429: "rate_limited"}.get(exc.status, "error")
            return json_error(exc.status, code, exc.reason)
        raise
    except Exception:
        log.exception("web.unhandled path=%s", request.path)
        if wants_json(request):
            return json_error(500, "internal", "internal error; it has been logged")
        raise
