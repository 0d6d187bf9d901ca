"""An async client of WeChat's Official Account API (aiohttp)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import aiohttp

from bot.channels.wechat.errors import TOKEN_ERRORS, ApiError
from bot.channels.wechat.tokens import TokenStore
from bot.config import WechatSettings

log = logging.getLogger("tongguan.wechat")

DEFAULT_API = "https://api.weixin.qq.com"
DEFAULT_MP = "https://mp.weixin.qq.com"
TIMEOUT = aiohttp.ClientTimeout(total=10)
NETWORK_ERROR = -2

Body = Callable[[], Any]  #: builds a fresh request body per attempt (FormData is single-use)


class WechatApi:
    """Token, customer-service messages, media, menus and QR codes.

    ``tokens`` is attached after construction (:meth:`fetch_token` is its fetcher).
    """

    def __init__(self, settings: WechatSettings, http: aiohttp.ClientSession) -> None:
        self.settings = settings
        self.http = http
        self.base = settings.api_base.rstrip("/")
        self.mp_base = DEFAULT_MP if self.base == DEFAULT_API else self.base
        self.tokens: TokenStore | None = None

    async def fetch_token(self) -> tuple[str, int]:
        """Ask WeChat for a new access token (only the token store calls this)."""
        data = await self._request("GET", "/cgi-bin/token", params={
            "grant_type": "client_credential", "appid": self.settings.app_id,
            "secret": self.settings.app_secret})
        return str(data["access_token"]), int(data.get("expires_in", 7200))

    async def send_text(self, openid: str, text: str) -> None:
        await self.call("POST", "/cgi-bin/message/custom/send", json_body={
            "touser": openid, "msgtype": "text", "text": {"content": text}})

    async def send_image(self, openid: str, media_id: str) -> None:
        await self.call("POST", "/cgi-bin/message/custom/send", json_body={
            "touser": openid, "msgtype": "image", "image": {"media_id": media_id}})

    async def upload_image(self, data: bytes, filename: str = "image.png") -> str:
        """Upload temporary media (kept 3 days by WeChat); returns its media_id."""
        def form() -> aiohttp.FormData:
            body = aiohttp.FormData()
            body.add_field("media", data, filename=filename, content_type="image/png")
            return body

        reply = await self.call("POST", "/cgi-bin/media/upload", params={"type": "image"},
                                body=form)
        return str(reply["media_id"])

    async def create_menu(self, menu: dict[str, Any]) -> None:
        await self.call("POST", "/cgi-bin/menu/create", json_body=menu)

    async def create_qrcode(self, scene: str, *, permanent: bool = False,
                            expire_seconds: int = 2592000) -> dict[str, Any]:
        """A scene QR code ticket: ``{"ticket", "url", "expire_seconds"?}``."""
        body: dict[str, Any] = {"action_info": {"scene": {"scene_str": scene}}}
        if permanent:
            body["action_name"] = "QR_LIMIT_STR_SCENE"
        else:
            body.update(action_name="QR_STR_SCENE", expire_seconds=expire_seconds)
        return await self.call("POST", "/cgi-bin/qrcode/create", json_body=body)

    async def show_qrcode(self, ticket: str) -> bytes:
        """The QR code image (JPEG/PNG bytes) for a ticket; needs no token."""
        try:
            async with self.http.get(self.mp_base + "/cgi-bin/showqrcode",
                                     params={"ticket": ticket}, timeout=TIMEOUT) as resp:
                if resp.status != 200:
                    raise ApiError(resp.status, "showqrcode failed")
                return await resp.read()
        except (TimeoutError, aiohttp.ClientError) as err:
            raise ApiError(NETWORK_ERROR, type(err).__name__) from err

    async def call(self, method: str, path: str, *, params: dict[str, str] | None = None,
                   json_body: Any = None, body: Body | None = None) -> dict[str, Any]:
        """Call with the shared token; a stale token is refreshed once and retried once."""
        if self.tokens is None:
            raise ApiError(-1, "no token store attached")
        for attempt in (1, 2):
            token = await self.tokens.get()
            try:
                return await self._request(method, path, params={
                    **(params or {}), "access_token": token.value},
                    json_body=json_body, body=body)
            except ApiError as err:
                if err.errcode not in TOKEN_ERRORS or attempt == 2:
                    raise
                log.info("wechat.api.stale_token errcode=%s", err.errcode)
                await self.tokens.invalidate(token.generation)
        raise AssertionError("unreachable")

    async def _request(self, method: str, path: str, *, params: dict[str, str],
                       json_body: Any = None, body: Body | None = None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"params": params, "timeout": TIMEOUT}
        if json_body is not None:  # WeChat wants UTF-8, not \\u escapes
            kwargs["data"] = json.dumps(json_body, ensure_ascii=False).encode()
            kwargs["headers"] = {"Content-Type": "application/json; charset=utf-8"}
        elif body is not None:
            kwargs["data"] = body()
        try:
            async with self.http.request(method, self.base + path, **kwargs) as resp:
                raw = await resp.read()
                status = resp.status
        except (TimeoutError, aiohttp.ClientError) as err:
            raise ApiError(NETWORK_ERROR, type(err).__name__) from err
        try:
            data = json.loads(raw)
        except ValueError:
            raise ApiError(NETWORK_ERROR, f"HTTP {status}, not JSON") from None
        if not isinstance(data, dict):
            raise ApiError(NETWORK_ERROR, "unexpected JSON")
        errcode = int(data.get("errcode") or 0)
        if errcode:
            raise ApiError(errcode, str(data.get("errmsg", "")))
        return data
