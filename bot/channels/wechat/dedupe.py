"""Exactly one turn per WeChat message, across processes and restarts.

The first request for a message inserts its key (``INSERT … ON CONFLICT DO NOTHING
RETURNING``); a retry finds the row and returns the stored passive reply, waits for it
while the turn is in flight, or answers ``success`` when the reply went to the outbox.
Settling is one ``UPDATE``. The database is the authority; this process also remembers
its own in-flight turns (retries wait on them without polling) and settled replies
(retries are answered without a query) until the row would expire. The statements, and
how each database runs them (group-committed, inline), are the repository's
(:mod:`bot.channels.wechat.repository`).
"""

from __future__ import annotations

import asyncio
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

#: How long a claim is remembered (WeChat retries within ~15 s; restarts are covered).
CLAIM_TTL = timedelta(hours=1)
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
    """Outcome of :meth:`DedupeStore.claim`: ``mine`` or the stored state of a retry."""

    mine: bool
    status: str = ""
    passive: Passive | None = None


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
    async def claim(self, key: str) -> Claim:
        """Claim ``key`` for this request, or report what an earlier request left."""
        now = self.clock.now()
        if key in self._running:
            return Claim(mine=False, status="running")
        cached = self._settled.get(key)
        if cached is not None and cached[0] > now:
            return Claim(mine=False, status=cached[1], passive=cached[2])
        self._claims += 1
        if self._claims % PURGE_EVERY == 0:
            await self.purge()
        mine, row = await self.repo.claim(key, now, now + CLAIM_TTL)
        if mine:
            self._running[key] = asyncio.get_running_loop().create_future()
            return Claim(mine=True)
        return Claim(mine=False, status=row[0], passive=self._open(row[1]))

    async def settle(self, key: str, passive: Passive | None,
                     also: Callable[[AsyncSession], Awaitable[None]] | None = None) -> None:
        """Record the answer: ``done`` with the passive reply, or ``pushed`` without.

        ``also`` runs in the same transaction (queueing the pushed replies).
        """
        status = "pushed" if passive is None else "done"
        blob = None if passive is None else self.sealer.seal(passive.to_json())
        future = self._running.get(key)
        if future is not None and not future.done():  # retries here need not wait for it
            future.set_result(passive)
        try:
            if also is not None:
                await self.repo.settle_with(key, status, blob, also)
            else:
                await self.repo.settle(key, status, blob)
            self._remember(key, status, passive)
        finally:
            self._running.pop(key, None)

    async def wait(self, key: str, deadline: float) -> Passive | None:
        """Wait (until loop time ``deadline``) for an in-flight turn's passive reply."""
        loop = asyncio.get_running_loop()
        future = self._running.get(key)
        if future is not None:  # our own turn: no polling
            try:
                return await asyncio.wait_for(asyncio.shield(future),
                                              max(0.0, deadline - loop.time()))
            except TimeoutError:
                return None
        while True:  # another process's turn
            rows = await self.repo.get(key)
            if not rows or rows[0][0] == "pushed":
                return None
            if rows[0][0] == "done":
                return self._open(rows[0][1])
            if loop.time() + POLL_SECONDS >= deadline:
                return None
            await asyncio.sleep(POLL_SECONDS)

    async def purge(self) -> int:
        """Forget expired claims; returns how many."""
        now = self.clock.now()
        while self._settled:  # in order of expiry: all entries share one time to live
            key, (expires, _, _) = next(iter(self._settled.items()))
            if expires > now:
                break
            del self._settled[key]
        return await self.repo.purge(now)

    def _remember(self, key: str, status: str, passive: Passive | None) -> None:
        self._settled[key] = (self.clock.now() + CLAIM_TTL, status, passive)
        self._settled.move_to_end(key)
        while len(self._settled) > CACHE_SIZE:
            self._settled.popitem(last=False)

    def _open(self, blob: bytes | None) -> Passive | None:
        return Passive.from_json(self.sealer.open(bytes(blob))) if blob else None
