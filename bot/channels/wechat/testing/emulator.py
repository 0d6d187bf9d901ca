"""A local emulator of WeChat's callback traffic: the WeChat side of the wire.

It builds messages as WeChat does, signs them (``signature`` over token, timestamp and
nonce; ``msg_signature`` over the ciphertext too), encrypts them in compatible and safe
modes with the account's AppId in the frame, retries on timeouts (5 s, 3 tries, like
WeChat) and checks every reply's signature, decryption, AppId and addressing. A reply it
cannot accept is what a resident would see as "该公众号暂时无法提供服务".
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from xml.sax.saxutils import escape

import aiohttp

from bot.channels.wechat.errors import CallbackRejected
from bot.channels.wechat.render import cdata_safe
from bot.channels.wechat.wire import Envelope, parse_xml, sign, signature_ok

Mode = Literal["plain", "compat", "safe"]
NUMERIC = frozenset({"CreateTime", "MsgId", "Location_X", "Location_Y", "Scale", "Latitude",
                     "Longitude", "Precision"})
SERVICE_UNAVAILABLE = "该公众号暂时无法提供服务，请稍后再试"


@dataclass(frozen=True)
class Message:
    """One message as WeChat would post it (retries post the very same message)."""

    openid: str
    xml: str
    fields: dict[str, str]


@dataclass
class Delivery:
    """What happened to one message: the reply accepted (if any) and how it went."""

    reply: dict[str, Any] | None = None  #: reply fields, decrypted; None for `success`
    body: str = ""
    status: int = 0
    attempts: int = 0
    elapsed: float = 0.0
    failed: bool = False  #: the user would see :data:`SERVICE_UNAVAILABLE`
    problem: str = ""
    bodies: list[str] = field(default_factory=list)  #: the raw body of every answer

    @property
    def text(self) -> str:
        """The reply's text ('' for `success` or an image)."""
        return str((self.reply or {}).get("Content") or "")


class ReplyError(Exception):
    """A reply WeChat would refuse."""


class WechatEmulator:
    """Posts messages to a Tongguan callback URL as WeChat would."""

    def __init__(self, url: str, *, token: str, app_id: str, aes_key: str = "",
                 mode: Mode = "plain", account: str = "gh_tongguan", timeout: float = 5.0,
                 tries: int = 3, session: aiohttp.ClientSession | None = None,
                 now: Callable[[], float] = time.time) -> None:
        if mode != "plain" and not aes_key:
            raise ValueError("compat and safe modes need the EncodingAESKey")
        self.url = url
        self.token = token
        self.mode = mode
        self.account = account
        self.timeout = timeout
        self.tries = tries
        self.now = now
        self.envelope = Envelope(aes_key, app_id) if aes_key else None
        self._session = session
        self._own_session = session is None
        self._ids = itertools.count(secrets.randbelow(2**40) + 2**50)

    async def __aenter__(self) -> WechatEmulator:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()

    # -- building messages ---------------------------------------------------------------
    def message(self, openid: str, msg_type: str, **fields: Any) -> Message:
        """A message of ``msg_type`` (``text``, ``event``, ...) with WeChat's fields."""
        data: dict[str, str] = {"ToUserName": self.account, "FromUserName": openid,
                                "CreateTime": str(int(self.now())), "MsgType": msg_type}
        data.update({k: str(v) for k, v in fields.items()})
        if msg_type != "event" and "MsgId" not in data:
            data["MsgId"] = str(next(self._ids))
        nodes = "".join(f"<{k}>{escape(v)}</{k}>" if k in NUMERIC else
                        f"<{k}><![CDATA[{cdata_safe(v)}]]></{k}>" for k, v in data.items())
        return Message(openid, f"<xml>{nodes}</xml>", data)

    def signed(self, message: Message, *, timestamp: str | None = None,
               app_id: str | None = None) -> tuple[dict[str, str], bytes]:
        """(query, body) for one attempt, signed and encrypted per the mode."""
        timestamp = timestamp or str(int(self.now()))
        nonce = str(secrets.randbelow(10**10))
        query = {"signature": sign(self.token, timestamp, nonce), "timestamp": timestamp,
                 "nonce": nonce, "openid": message.openid}
        if self.mode == "plain" or self.envelope is None:
            return query, message.xml.encode()
        encrypt = self.envelope.seal(message.xml, app_id=app_id)
        query.update(encrypt_type="aes", msg_signature=sign(self.token, timestamp, nonce,
                                                            encrypt))
        outer = f"<ToUserName><![CDATA[{self.account}]]></ToUserName>"
        if self.mode == "compat":
            outer = message.xml[len("<xml>"):-len("</xml>")]
        return query, f"<xml>{outer}<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode()

    # -- sending ------------------------------------------------------------------------
    async def send(self, openid: str, msg_type: str, **fields: Any) -> Delivery:
        return await self.deliver(self.message(openid, msg_type, **fields))

    async def text(self, openid: str, content: str) -> Delivery:
        return await self.send(openid, "text", Content=content)

    async def event(self, openid: str, event: str, key: str | None = None,
                    **fields: Any) -> Delivery:
        extra = {"EventKey": key} if key is not None else {}
        return await self.send(openid, "event", Event=event, **extra, **fields)

    async def deliver(self, message: Message) -> Delivery:
        """Post ``message``, retrying on timeouts and 5xx like WeChat; check the reply."""
        session = self._session = self._session or aiohttp.ClientSession()
        result = Delivery()
        loop = asyncio.get_running_loop()
        started = loop.time()
        for attempt in range(1, self.tries + 1):
            result.attempts = attempt
            query, body = self.signed(message)
            try:
                async with session.post(self.url, params=query, data=body,
                                        headers={"Content-Type": "text/xml"},
                                        timeout=aiohttp.ClientTimeout(total=self.timeout)
                                        ) as resp:
                    result.status, result.body = resp.status, await resp.text()
            except (TimeoutError, aiohttp.ClientError) as err:
                result.problem = f"attempt {attempt}: {type(err).__name__}"
                continue
            result.bodies.append(result.body)
            if result.status >= 500:
                result.problem = f"HTTP {result.status}"
                continue
            break
        else:
            result.failed = True
            result.elapsed = loop.time() - started
            return result
        result.elapsed = loop.time() - started
        if result.status != 200:
            result.failed, result.problem = True, f"HTTP {result.status}"
            return result
        try:
            result.reply = self.check_reply(result.body, message.openid)
        except ReplyError as err:
            result.failed, result.problem = True, str(err)
        return result

    def check_reply(self, body: str, openid: str) -> dict[str, Any] | None:
        """Verify a passive reply as WeChat would; ``None`` for `success` or empty.

        Raises:
            ReplyError: bad XML, signature, ciphertext or AppId, or wrong addressing.
        """
        if body.strip() in ("", "success"):
            return None
        try:
            fields = parse_xml(body)
            if "Encrypt" in fields:
                if self.envelope is None:
                    raise ReplyError("encrypted reply in plain mode")
                expected = sign(self.token, str(fields.get("TimeStamp", "")),
                                str(fields.get("Nonce", "")), str(fields["Encrypt"]))
                if not signature_ok(expected, str(fields.get("MsgSignature", ""))):
                    raise ReplyError("bad reply MsgSignature")
                fields = parse_xml(self.envelope.open(str(fields["Encrypt"])))
            elif self.mode == "safe":
                raise ReplyError("plain reply in safe mode")
        except CallbackRejected as err:
            raise ReplyError(f"reply refused: {err.event}") from err
        if fields.get("ToUserName") != openid or fields.get("FromUserName") != self.account:
            raise ReplyError("reply addressed wrongly")
        if fields.get("MsgType") not in ("text", "image", "voice", "video", "music", "news"):
            raise ReplyError("unknown reply MsgType")
        return fields
