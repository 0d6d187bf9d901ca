"""``GET /chat``: a WeChat-like chat page on the JSON API (no external assets)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).parent / "static"


async def chat_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "chat.html", headers={"Cache-Control": "no-cache"})


async def index(request: web.Request) -> web.Response:
    raise web.HTTPFound("/chat")


def setup(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_get("/chat", chat_page)
    app.router.add_static("/static/", STATIC, append_version=True)
