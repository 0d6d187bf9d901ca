"""Every database connection busy (SQLAlchemy's pool timeout) is an overload, answered
503 with Retry-After in zh and en — not a 500 (bench/filings.py saw 1,191 of those)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import exc as sa_exc

from bot.web.middlewares import error_middleware


async def test_a_pool_timeout_is_a_503_with_retry_after(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    async def busy(request: web.Request) -> web.Response:
        raise sa_exc.TimeoutError("QueuePool limit of size 10 overflow 10 reached")

    app = web.Application(middlewares=[error_middleware])
    app.router.add_get("/api/v1/busy", busy)
    client = await aiohttp_client(app)
    resp = await client.get("/api/v1/busy")
    assert resp.status == 503 and resp.headers["Retry-After"] == "2"
    body = await resp.json()
    assert body["error"] == "busy" and body["message_zh"] == "服务繁忙，请稍后再试。"
