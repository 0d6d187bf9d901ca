"""Exactly one turn per WeChat message, across processes and restarts.

The first request for a message inserts its key (``INSERT … ON CONFLICT DO NOTHING
RETURNING``); a retry finds the row and returns the stored passive reply, waits for it
while the turn is in flight, or answers ``success`` when the reply went to the outbox.
Settling is one ``UPDATE``. The database is the authority; this process also remembers
its own in-flight turns (retries wait on them without polling) and settled replies
(retries are answered without a query) until the row would expire.

A running claim is a short lease (:data:`RUNNING_LEASE`) that the process running the
turn renews. When that process dies (kill -9, a lost machine), a retry takes the claim
over once the lease has run out, and so does the recovery job
(:meth:`bot.channels.wechat.callback.WechatChannel.recover`) for a message nobody
retries (its callback was already answered `success`): the claim keeps the message,
sealed, until it is settled. The taker runs the turn ``resumed``: if the dead process
had saved it, its receipt answers (the turn never runs twice, see
:mod:`bot.dialogue.engine`). Only the claim's holder (``token``: the claim's time)
settles it. The statements, and
how each database runs them (group-committed, inline), are the repository's
(:mod:`bot.channels.wechat.repository`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.wechat.repository import dedupe_repository
from bot.clock import Clock
from bot.db.database import Database
from bot.privacy import Sealer

log = logging.getLogger("tongguan.wechat")

#: How long a settled claim is remembered (WeChat retries within ~15 s; restarts are
#: covered).
CLAIM_TTL = timedelta(hours=1)
#: A running claim's lease: the process running the turn renews it every third of
#: this; when that process dies, a retry (or the recovery job) takes the turn over once
#: it has run out — within WeChat's retries (tries at 0, 5 and 10 s, each waited on for
#: the reply budget). Longer than the reply budget: a turn still within it is never
#: taken over.
RUNNING_LEASE = timedelta(seconds=6)
POLL_SECONDS = 0.05
PURGE_EVERY = 500
CACHE_SIZE = 20_000  #: settled replies kept in memory for fast retries


@dataclass(frozen=True)
class Passive:
    """The one passive reply to a message: a text or an uploaded image."""

    kind: Literal["text", "image"]
    content: str  #: the text, or the media_id
    create_time: int

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "content": self.content, "time": self.create_time}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Passive:
        return cls(data["kind"], data["content"], int(data["time"]))


@dataclass(frozen=True)
class Claim:
    """Outcome of :meth:`DedupeStore.claim`: ``mine`` (with ``token``, the claim's time,
    and ``resumed`` when an expired claim was taken over), or the stored state."""

    mine: bool
    status: str = ""
    passive: Passive | None = None
    token: datetime | None = None
    resumed: bool = False


class DedupeStore:
    """Claims, settles and looks up callback messages by key."""

    def __init__(self, db: Database, sealer: Sealer, clock: Clock) -> None:
        self.db = db
        self.sealer = sealer
        self.clock = clock
        self.repo = dedupe_repository(db)  #: the dedupe table's SQL for this database
        self._claims = 0
        self._running: dict[str, asyncio.Future[Passive | None]] = {}
        self._settled: OrderedDict[str, tuple[datetime, str, Passive | None]] = OrderedDict()

    def key_for(self, raw: str) -> str:
        """Blind index of the raw key, so message ids and openids are not stored."""
        return self.sealer.blind_index("wechat-msg", raw)

    # -- the protocol -------------------------------------------------------------------
    async def claim(self, key: str, message: dict[str, Any]) -> Claim:
        """Claim ``key`` for this request (keeping ``message``, sealed, until it is
        settled), or report what an earlier request left."""
        now = self.clock.now()
        if key in self._running:
            return Claim(mine=False, status="running")
        cached = self._settled.get(key)
        if cached is not None and cached[0] > now:
            return Claim(mine=False, status=cached[1], passive=cached[2])
        self._claims += 1
        if self._claims % PURGE_EVERY == 0:
            await self.purge()
        done, row = await self.repo.claim(key, now, now + RUNNING_LEASE,
                                          self.sealer.seal(message))
        if done:
            return self._mine(key, now, resumed=done == "taken")
        return Claim(mine=False, status=row[0], passive=self._open(row[1]))

    async def take_over(self, key: str, message: dict[str, Any] | None = None
                        ) -> tuple[Claim, dict[str, Any] | None]:
        """Take over ``key``'s claim if it expired (its process died): the claim (``mine``
        or not) and the message kept with it."""
        now = self.clock.now()
        taken, blob = await self.repo.take_over(
            key, now, now + RUNNING_LEASE, None if message is None else self.sealer.seal(message))
        if not taken:
            return Claim(mine=False, status="running"), None
        return (self._mine(key, now, resumed=True),
                self.sealer.open(bytes(blob)) if blob else message)

    def _mine(self, key: str, token: datetime, *, resumed: bool) -> Claim:
        self._running[key] = asyncio.get_running_loop().create_future()
        return Claim(mine=True, token=token, resumed=resumed)

    async def keep(self, key: str, token: datetime) -> None:
        """Renew the claim every third of its lease while its turn runs (a task the
        caller cancels once it settles); stops when the claim was taken over."""
        every = RUNNING_LEASE.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            try:
                if not await self.repo.renew(key, token, self.clock.now() + RUNNING_LEASE):
                    log.warning("wechat.claim.lost")
                    return
            except Exception:  # noqa: BLE001 - the database is away: try again
                log.warning("wechat.claim.renew_failed", exc_info=True)

    async def settle(self, key: str, token: datetime, passive: Passive | None,
                     also: Callable[[AsyncSession], Awaitable[None]] | None = None) -> bool:
        """Record the answer: ``done`` with the passive reply, or ``pushed`` without.

        ``also`` runs in the same transaction (queueing the pushed replies), only while
        this claim still holds (returns whether it did: a claim taken over is settled by
        its taker).
        """
        status = "pushed" if passive is None else "done"
        blob = None if passive is None else self.sealer.seal(passive.to_json())
        expires = self.clock.now() + CLAIM_TTL
        stored: Passive | None = None
        try:
            if also is not None:
                held = await self.repo.settle_with(key, token, status, blob, expires, also)
            else:
                await self.repo.settle(key, token, status, blob, expires)
                held = True
            self._remember(key, status, passive)
            stored = passive
            return held
        finally:
            # Retries here waiting for the turn get its answer once it is stored (none if
            # that failed: the recovery runs it again once the database is back).
            future = self._running.pop(key, None)
            if future is not None and not future.done():
                future.set_result(stored)

    async def wait(self, key: str, deadline: float, message: dict[str, Any]) -> Claim:
        """Wait (until loop time ``deadline``) for an in-flight turn's passive reply; when
        its claim runs out meanwhile (its process died), take the turn over: the claim
        is then ``mine``."""
        loop = asyncio.get_running_loop()
        future = self._running.get(key)
        if future is not None:  # our own turn: no polling
            try:
                passive = await asyncio.wait_for(asyncio.shield(future),
                                                 max(0.0, deadline - loop.time()))
            except TimeoutError:
                passive = None
            return Claim(mine=False, status="done", passive=passive)
        while True:  # another process's turn
            rows = await self.repo.get(key)
            if not rows or rows[0][0] == "pushed":
                return Claim(mine=False, status="pushed")
            if rows[0][0] == "done":
                return Claim(mine=False, status="done", passive=self._open(rows[0][1]))
            if rows[0][2] <= self.clock.now():
                claim, _ = await self.take_over(key, message)
                if claim.mine:
                    log.info("wechat.claim.taken_over by=retry")
                    return claim
            if loop.time() + POLL_SECONDS >= deadline:
                return Claim(mine=False, status="running")
            await asyncio.sleep(POLL_SECONDS)

    async def orphans(self, limit: int = 50) -> list[str]:
        """Running claims whose lease ran out a lease ago (their process died and no retry
        took them over) and that keep their message, oldest first."""
        return await self.repo.orphans(self.clock.now() - RUNNING_LEASE, limit)

    async def purge(self) -> int:
        """Forget expired claims; returns how many."""
        now = self.clock.now()
        while self._settled:  # in order of expiry: all entries share one time to live
            key, (expires, _, _) = next(iter(self._settled.items()))
            if expires > now:
                break
            del self._settled[key]
        return await self.repo.purge(now, now - CLAIM_TTL)

    def _remember(self, key: str, status: str, passive: Passive | None) -> None:
        self._settled[key] = (self.clock.now() + CLAIM_TTL, status, passive)
        self._settled.move_to_end(key)
        while len(self._settled) > CACHE_SIZE:
            self._settled.popitem(last=False)

    def _open(self, blob: bytes | None) -> Passive | None:
        return Passive.from_json(self.sealer.open(bytes(blob))) if blob else None
