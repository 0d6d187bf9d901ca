"""A local fake of WeChat's HTTP API (aiohttp), with real JSON shapes and error codes.

It records what it receives (``token_requests``, ``messages``, ``uploads``, ``menus``,
``qrcodes``) and can inject errors (:meth:`FakeWechatApi.inject`), expire tokens,
refuse users outside the 48-hour window and slow down answers.
"""

from __future__ import annotations

import asyncio
import io
import json
import secrets
import time
from collections import defaultdict, deque
from typing import Any

import qrcode
from aiohttp import web

ERRMSG = {
    40001: "invalid credential, access_token is invalid or not latest",
    40003: "invalid openid", 40007: "invalid media_id", 40013: "invalid appid",
    40016: "invalid button size", 40125: "invalid appsecret", 41001: "access_token missing",
    41005: "media data missing", 42001: "access_token expired",
    45009: "reach max api daily quota limit", 45015: "response out of time limit or "
    "subscription is canceled", 45047: "out of response count limit", -1: "system error",
}


def _error(code: int) -> web.Response:
    return web.json_response({"errcode": code, "errmsg": ERRMSG.get(code, "error")})


class FakeWechatApi:
    """The fake; :attr:`app` is the aiohttp application, :meth:`start` serves it."""

    def __init__(self, app_id: str, app_secret: str, *, token_ttl: int = 7200) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.token_ttl = token_ttl
        self.tokens: dict[str, float] = {}  #: access_token → expiry (time.time())
        self.media: dict[str, bytes] = {}
        self.tickets: dict[str, str] = {}  #: ticket → url
        self.token_requests = 0
        self.messages: list[dict[str, Any]] = []
        self.uploads: list[bytes] = []
        self.menus: list[dict[str, Any]] = []
        self.qrcodes: list[dict[str, Any]] = []
        self.out_of_window: set[str] = set()  #: openids answered 45015
        self.delay: dict[str, float] = {}  #: path → seconds to wait before answering
        #: path → (until, mode) of an outage (see :meth:`outage`); ``time.monotonic()``
        self.outages: dict[str, tuple[float, str]] = {}
        self.refused: list[tuple[float, str]] = []  #: (monotonic time, path) met by one
        self._injected: dict[str, deque[int]] = defaultdict(deque)
        self._runner: web.AppRunner | None = None
        self.app = web.Application()
        self.app.router.add_get("/cgi-bin/token", self._token)
        self.app.router.add_post("/cgi-bin/message/custom/send", self._send)
        self.app.router.add_post("/cgi-bin/media/upload", self._upload)
        self.app.router.add_post("/cgi-bin/menu/create", self._menu)
        self.app.router.add_post("/cgi-bin/qrcode/create", self._qrcode)
        self.app.router.add_get("/cgi-bin/showqrcode", self._showqrcode)

    # -- control ------------------------------------------------------------------------
    def inject(self, path: str, errcode: int, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``path`` with ``errcode``."""
        self._injected[path].extend([errcode] * times)

    def outage(self, path: str, seconds: float, mode: str = "5xx") -> None:
        """``path`` is down for ``seconds`` from now: every call is answered HTTP 502
        (``5xx``) or not at all until the outage ends (``hang``: the client times out;
        the call then gets a 504). Nothing sent meanwhile is taken in."""
        if mode not in ("5xx", "hang"):
            raise ValueError(f"unknown outage mode {mode!r}")
        self.outages[path] = (time.monotonic() + seconds, mode)

    def expire_tokens(self) -> None:
        """Every issued token is now expired (calls get 42001)."""
        for token in self.tokens:
            self.tokens[token] = 0.0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0: any free port); returns the base URL."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0][1]
        return f"http://{host}:{bound}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # -- helpers ------------------------------------------------------------------------
    async def _gate(self, request: web.Request, *, auth: bool = True) -> web.Response | None:
        if delay := self.delay.get(request.path):
            await asyncio.sleep(delay)
        until, mode = self.outages.get(request.path, (0.0, ""))
        if (now := time.monotonic()) < until:
            self.refused.append((now, request.path))
            if mode == "hang":
                await asyncio.sleep(until - now)
                return web.Response(status=504, text="upstream timed out")
            return web.Response(status=502, text="<html>502 Bad Gateway</html>")
        queue = self._injected.get(request.path)
        if queue:
            return _error(queue.popleft())
        if not auth:
            return None
        token = request.query.get("access_token")
        if not token:
            return _error(41001)
        if token not in self.tokens:
            return _error(40001)
        if self.tokens[token] < time.time():
            return _error(42001)
        return None

    @staticmethod
    async def _json(request: web.Request) -> dict[str, Any] | None:
        try:
            data = json.loads(await request.read())
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    # -- endpoints ----------------------------------------------------------------------
    async def _token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        if (failed := await self._gate(request, auth=False)) is not None:
            return failed
        q = request.query
        if q.get("grant_type") != "client_credential" or q.get("appid") != self.app_id:
            return _error(40013)
        if q.get("secret") != self.app_secret:
            return _error(40125)
        token = secrets.token_urlsafe(96)
        self.tokens[token] = time.time() + self.token_ttl
        return web.json_response({"access_token": token, "expires_in": self.token_ttl})

    async def _send(self, request: web.Request) -> web.Response:
        if (failed := await self._gate(request)) is not None:
            return failed
        body = await self._json(request)
        if body is None or not body.get("touser"):
            return _error(40003)
        if body["touser"] in self.out_of_window:
            return _error(45015)
        if body.get("msgtype") == "image" and body.get("image", {}).get(
                "media_id") not in self.media:
            return _error(40007)
        self.messages.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _upload(self, request: web.Request) -> web.Response:
        if (failed := await self._gate(request)) is not None:
            return failed
        if request.query.get("type") != "image" or not request.content_type.startswith(
                "multipart/"):
            return _error(41005)
        form = await request.post()
        field = form.get("media")
        if not isinstance(field, web.FileField):
            return _error(41005)
        data = field.file.read()
        media_id = secrets.token_urlsafe(48)
        self.media[media_id] = data
        self.uploads.append(data)
        return web.json_response({"type": "image", "media_id": media_id,
                                  "created_at": int(time.time())})

    async def _menu(self, request: web.Request) -> web.Response:
        if (failed := await self._gate(request)) is not None:
            return failed
        body = await self._json(request)
        buttons = (body or {}).get("button")
        if body is None or not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            return _error(40016)
        self.menus.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _qrcode(self, request: web.Request) -> web.Response:
        if (failed := await self._gate(request)) is not None:
            return failed
        body = await self._json(request) or {}
        action = body.get("action_name")
        scene = body.get("action_info", {}).get("scene", {})
        if action not in ("QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE") \
                or not (scene.get("scene_str") or scene.get("scene_id")):
            return _error(40001 if action is None else -1)
        self.qrcodes.append(body)
        ticket = secrets.token_urlsafe(32)
        url = f"http://weixin.qq.com/q/{secrets.token_urlsafe(12)}"
        self.tickets[ticket] = url
        answer: dict[str, Any] = {"ticket": ticket, "url": url}
        if "LIMIT" not in action:
            answer["expire_seconds"] = int(body.get("expire_seconds", 60))
        return web.json_response(answer)

    async def _showqrcode(self, request: web.Request) -> web.Response:
        url = self.tickets.get(request.query.get("ticket", ""))
        if url is None:
            return web.Response(status=404, text="invalid ticket")
        out = io.BytesIO()
        qrcode.make(url).save(out, format="PNG")
        return web.Response(body=out.getvalue(), content_type="image/png")
