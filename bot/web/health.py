"""Liveness and readiness: ``/healthz``."""

from __future__ import annotations

import sqlalchemy as sa
from aiohttp import web

from bot.web.keys import HUB_KEY


async def healthz(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    async with hub.db.engine.connect() as conn:
        await conn.execute(sa.text("SELECT 1"))
    return web.json_response({"ok": True, "flows": len(hub.flows.flows) if hub.flows else 0})


def setup(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)


OPENAPI_PATHS = {
    "/healthz": {"get": {"summary": "Liveness and database check", "security": [],
                         "responses": {"200": {"description": "ok"}}}},
}
