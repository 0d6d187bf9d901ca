"""The callback endpoint: authenticate, decrypt, dedupe, run the turn, answer in time."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession
from wechatpy.messages import BaseMessage

from bot import metrics
from bot.channels.wechat import render, users
from bot.channels.wechat.dedupe import Claim, DedupeStore, Passive
from bot.channels.wechat.errors import CallbackRejected
from bot.channels.wechat.media import MediaStore, fetch_media
from bot.channels.wechat.pending import Answer, inbound_of, message_record
from bot.channels.wechat.translate import CANNED, Action, dedupe_key, translate
from bot.channels.wechat.wire import (
    MAX_BODY,
    Envelope,
    encrypted_reply,
    parse_xml,
    sign,
    signature_ok,
    to_message,
)
from bot.hub import Hub
from bot.messages import Inbound, Reply
from bot.web.counters import Counters, MemoryCounters

log = logging.getLogger("tongguan.wechat")

SUCCESS = "success"
SHUTDOWN_GRACE = 4.0  #: within tongguan serve's 5 s shutdown
PURGE_SECONDS = 60.0  #: the recovery job forgets expired claims this often


@dataclass(frozen=True)
class Incoming:
    """An authenticated, decrypted callback message."""

    message: BaseMessage
    encrypted: bool
    nonce: str


class WechatChannel:
    """Handles ``GET``/``POST`` on the callback path for one Official Account."""

    def __init__(self, hub: Hub, media: MediaStore | None = None,
                 nonces: Counters | None = None) -> None:
        self.hub = hub
        #: (timestamp, nonce) → body digest, kept for the window (shared through Redis
        #: when the abuse limits use it)
        self.nonces: Counters = nonces if nonces is not None else MemoryCounters()
        self.settings = hub.settings.wechat
        self.envelope = (Envelope(self.settings.aes_key, self.settings.app_id)
                         if self.settings.aes_key else None)
        self.dedupe = DedupeStore(hub.db, hub.sealer, hub.clock)
        self.media = media
        self.turns = 0  #: turns started by this process (tests, bench)
        self._running: set[asyncio.Task[None]] = set()  #: turns not yet settled
        self._purged = float("-inf")  #: loop time of the last purge by :meth:`recover`

    # -- authentication -------------------------------------------------------------
    def _authenticate(self, request: web.Request) -> tuple[str, str]:
        q = request.query
        timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
        if not signature_ok(sign(self.settings.token, timestamp, nonce), q.get("signature", "")):
            raise CallbackRejected(403, "bad_signature")
        try:
            skew = abs(int(timestamp) - self.hub.clock.now().timestamp())
        except ValueError:
            raise CallbackRejected(403, "bad_timestamp") from None
        if skew > self.settings.timestamp_window:
            raise CallbackRejected(403, "stale_timestamp")
        return timestamp, nonce

    async def verify(self, request: web.Request) -> web.Response:
        """``GET``: WeChat's URL check; echo ``echostr`` when the signature holds."""
        try:
            self._authenticate(request)
        except CallbackRejected as rej:
            log.warning("wechat.callback.%s method=GET", rej.event)
            return web.Response(status=rej.status, text=rej.event)
        return web.Response(text=request.query.get("echostr", ""))

    async def _read(self, request: web.Request) -> bytes:
        if (request.content_length or 0) > MAX_BODY:
            raise CallbackRejected(413, "too_large")
        body = bytearray()
        while chunk := await request.content.read(MAX_BODY + 1 - len(body)):
            body += chunk
            if len(body) > MAX_BODY:
                raise CallbackRejected(413, "too_large")
        return bytes(body)

    async def _fresh(self, timestamp: str, nonce: str, body: bytes) -> None:
        """Refuse a signed query replayed with another body within the timestamp window
        (the plaintext signature covers the query only; a retry of the same body is
        WeChat's and passes, to be deduplicated by its MsgId)."""
        digest = hashlib.sha256(body).hexdigest()
        held = await self.nonces.once(f"wx_nonce:{timestamp}:{nonce}", digest,
                                      2 * self.settings.timestamp_window)
        if held is not None and held != digest:
            raise CallbackRejected(403, "replayed_nonce")

    async def _open(self, request: web.Request) -> Incoming:
        timestamp, nonce = self._authenticate(request)
        encrypted = request.query.get("encrypt_type", "raw").lower() == "aes"
        if self.envelope is not None and not encrypted:  # safe mode: never plaintext
            raise CallbackRejected(403, "plaintext_refused")
        body = await self._read(request)
        if not encrypted:  # (encrypted: msg_signature covers the body as well)
            await self._fresh(timestamp, nonce, body)
            return Incoming(to_message(parse_xml(body)), False, nonce)
        fields = parse_xml(body)
        encrypt = fields.get("Encrypt")
        if self.envelope is None or not isinstance(encrypt, str):
            raise CallbackRejected(400, "no_aes_key" if self.envelope is None else
                                   "missing_fields")
        expected = sign(self.settings.token, timestamp, nonce, encrypt)
        if not signature_ok(expected, request.query.get("msg_signature", "")):
            raise CallbackRejected(403, "bad_msg_signature")
        return Incoming(to_message(parse_xml(self.envelope.open(encrypt))), True, nonce)

    # -- the turn ---------------------------------------------------------------------
    async def receive(self, request: web.Request) -> web.Response:
        """``POST``: one message or event; always an answer before WeChat gives up."""
        deadline = asyncio.get_running_loop().time() + self.settings.reply_budget
        try:
            incoming = await self._open(request)
        except CallbackRejected as rej:
            log.warning("wechat.callback.%s", rej.event)
            return web.Response(status=rej.status, text=rej.event)
        msg = incoming.message
        try:
            # aiohttp does not cancel a handler whose client hung up, and the turn runs in
            # a task of its own (see _turn): it settles for WeChat's retry in any case.
            passive = await self._handle(msg, translate(msg), deadline)
        except Exception:  # never a 5xx: WeChat would show its error page to the user
            log.exception("wechat.callback.failed type=%s", msg.type)
            passive = None
        if passive is None:
            return web.Response(text=SUCCESS)
        xml = render.passive_xml(passive, openid=msg.source, account=msg.target or "")
        if incoming.encrypted and self.envelope is not None:
            stamp = str(int(self.hub.clock.now().timestamp()))
            xml = encrypted_reply(self.envelope, self.settings.token, xml, incoming.nonce, stamp)
        return web.Response(text=xml, content_type="application/xml")

    async def _handle(self, msg: BaseMessage, action: Action, deadline: float) -> Passive | None:
        db, clock = self.hub.db, self.hub.clock
        if action.effect == "unsubscribe":
            await users.stop_pushes(db, clock, msg.source)
        elif action.effect == "subscribe":
            await users.resume_pushes(db, clock, msg.source)
        elif action.effect == "location" and action.location is not None:
            await users.remember_location(db, self.hub.sealer, clock, msg.source,
                                          action.location)
        if action.inbound is not None:
            return await self._turn(msg, action.inbound, deadline)
        if action.canned:
            lang = await users.user_lang(db, msg.source, self.hub.settings.default_language)
            return self._text(CANNED[action.canned][lang])
        return None

    def _text(self, text: str) -> Passive:
        return Passive("text", text, int(self.hub.clock.now().timestamp()))

    async def _engine(self, inbound: Inbound) -> list[Reply]:
        self.turns += 1
        try:
            if self.hub.engine is None:
                raise RuntimeError("no dialogue engine")
            return await self.hub.engine.handle(inbound)
        except Exception:
            log.exception("wechat.turn.failed kind=%s", inbound.kind)
            return [Reply.say(CANNED["busy"][self.hub.settings.default_language])]

    async def _turn(self, msg: BaseMessage, inbound: Inbound, deadline: float) -> Passive | None:
        """Claim the message and run its turn in a task of its own, so it settles for
        WeChat's retry even if this request is cancelled; answer passively if it ends
        within the budget, else ``success`` (the turn then pushes its replies)."""
        key = self.dedupe.key_for(dedupe_key(msg))
        loop = asyncio.get_running_loop()
        answer = Answer(loop.create_future())
        task = loop.create_task(self._run(key, inbound, msg.source, answer, deadline))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        # At the budget a timer cancels the answer, which tells the turn to push its
        # replies — unless the turn already has its passive answer and is storing it (a
        # plain timer: wait_for cost more than the rest of this method). The shield keeps
        # a cancelled request from cancelling the answer.
        timer = loop.call_at(deadline, answer.expire)
        try:
            return await asyncio.shield(answer.future)
        except asyncio.CancelledError:
            if not answer.future.cancelled():
                raise  # this request itself was cancelled; the turn goes on and settles
            log.info("wechat.turn.late kind=%s", inbound.kind)
            return None
        finally:
            timer.cancel()

    async def _run(self, key: str, inbound: Inbound, openid: str, answer: Answer,
                   deadline: float) -> None:
        """Claim, turn, settle and answer (passive while the callback still waits, else
        by push); a retry of a claimed message gets the first run's answer instead, or
        takes the turn over when the first run's process died."""
        try:
            message = message_record(inbound)
            claim = await self.dedupe.claim(key, message)
            if not claim.mine and claim.status == "running":
                claim = await self.dedupe.wait(key, deadline, message)
            if not claim.mine:
                log.info("wechat.callback.retry status=%s", claim.status)
                answer.give(claim.passive)
                return
            await self._owned(key, claim, inbound, openid, answer, deadline)
        except Exception:
            log.exception("wechat.turn.failed kind=%s", inbound.kind)
            # (the database is away): say so rather than nothing
            answer.give(self._text(CANNED["busy"][self.hub.settings.default_language]))

    async def _owned(self, key: str, claim: Claim, inbound: Inbound, openid: str,
                     answer: Answer, deadline: float) -> None:
        """The turn of a message this process holds the claim of (renewed meanwhile).

        The passive answer goes out only once it is stored (settled): a message answered
        is never one a process taking over dead claims would answer again."""
        assert claim.token is not None
        keeping = asyncio.create_task(self.dedupe.keep(key, claim.token))
        try:
            if claim.resumed:
                log.info("wechat.turn.resumed kind=%s", inbound.kind)
            replies = await self._engine(dataclasses.replace(
                inbound, receipt=f"wechat:{key}", resumed=claim.resumed))
            text, rest = render.split(replies)
            passive = self._text(text) if text and answer.open else None
            if passive is None and rest and answer.open:
                passive, rest = await self._passive_image(rest, deadline)
            late = not answer.pin()
            if late:  # answered ``success`` at the budget: push everything
                passive, rest = None, render.for_push(replies)
            metrics.wechat_answered(passive=passive is not None, pushed=len(rest), late=late)
            if not await self.dedupe.settle(key, claim.token, passive,
                                            self._push(key, openid, rest)):
                log.warning("wechat.turn.taken_over pushes=dropped")
            answer.give(passive)
        finally:
            keeping.cancel()

    async def recover(self, limit: int = 50) -> int:
        """Run the turns of messages whose process died mid-turn after their callback was
        answered (`success`, so WeChat will not retry them): take each claim over, run
        its turn (or find it saved), push the replies. Returns how many. The job
        ``wechat.recover`` calls it."""
        recovered = 0
        now = asyncio.get_running_loop().time()
        if now - self._purged >= PURGE_SECONDS:  # also forget old claims and receipts
            self._purged = now
            await self.dedupe.purge()
        for key in await self.dedupe.orphans(limit):
            claim, message = await self.dedupe.take_over(key)
            if not claim.mine or message is None:
                continue  # a retry took it over first
            log.info("wechat.claim.taken_over by=recovery")
            gone = Answer(asyncio.get_running_loop().create_future())
            gone.expire()  # nobody waits for a passive answer: everything is pushed
            inbound = inbound_of(message)
            await self._owned(key, claim, inbound, inbound.user_id, gone, 0.0)
            recovered += 1
        return recovered

    def _push(self, key: str, openid: str,
              replies: list[Reply]) -> Callable[[AsyncSession], Awaitable[None]] | None:
        """Queues ``replies`` in the outbox, in the settling transaction (None: nothing)."""
        if not replies:
            return None

        async def push(session: AsyncSession) -> None:
            await self.hub.outbox.enqueue(channel="wechat", user_id=openid, replies=replies,
                                          dedupe_key=f"wechat:{key}", session=session)
        return push

    async def _passive_image(self, images: list[Reply],
                             deadline: float) -> tuple[Passive | None, list[Reply]]:
        """Answer with the first image if it can be uploaded in time; else push them all."""
        if self.media is None:
            return None, images
        remaining = deadline - asyncio.get_running_loop().time()
        upload = asyncio.ensure_future(self._upload(images[0]))
        try:
            media_id = await asyncio.wait_for(asyncio.shield(upload), timeout=remaining)
        except TimeoutError:
            return None, images  # the upload goes on and lands in the cache for the push
        if media_id is None:
            return None, images
        create_time = int(self.hub.clock.now().timestamp())
        return Passive("image", media_id, create_time), images[1:]

    async def _upload(self, image: Reply) -> str | None:
        data = await fetch_media(self.hub.media, image.url)
        if data is None or self.media is None:
            return None
        try:
            return await self.media.media_id(data)
        except Exception:
            log.warning("wechat.media.upload_failed")
            return None

    async def settled(self) -> None:
        """Wait until every turn started so far has settled (its pushes are queued)."""
        while self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    async def close(self) -> None:
        """Let running turns store their replies before the process stops."""
        if self._running:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*self._running, return_exceptions=True),
                                       SHUTDOWN_GRACE)

