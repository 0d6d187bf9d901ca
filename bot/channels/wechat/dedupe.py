"""Exactly one turn per WeChat message, across processes and restarts.

The first request for a message inserts its key (``INSERT … ON CONFLICT DO NOTHING
RETURNING``); a retry finds the row and returns the stored passive reply, waits for it
while the turn is in flight, or answers ``success`` when the reply went to the outbox.
Settling is one ``UPDATE``. The database is the authority; this process also remembers
its own in-flight turns (retries wait on them without polling) and settled replies
(retries are answered without a query) until the row would expire.

On PostgreSQL, claims and settles of concurrent callbacks go to the database together
(group commit, :mod:`bot.db.batching`): one statement for many messages' claims and
settles. On SQLite they run on the process's inline connection (no thread hop), queued
on its write lock.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.batching import GroupCommit, columns
from bot.db.database import Database, sqlite_time
from bot.privacy import Sealer

#: How long a claim is remembered (WeChat retries within ~15 s; restarts are covered).
CLAIM_TTL = timedelta(hours=1)
POLL_SECONDS = 0.05
PURGE_EVERY = 500
CACHE_SIZE = 20_000  #: settled replies kept in memory for fast retries

# Fixed statements go straight to the driver ($n for asyncpg, ? for sqlite), like the
# conversation store: through SQLAlchemy each cost more CPU than the rest of a callback.
SQL = {
    "claim": "INSERT INTO wechat_dedupe (key, status, reply, created_at, expires_at) "
             "VALUES ($1, 'running', NULL, $2, $3) ON CONFLICT (key) DO NOTHING RETURNING key",
    "take_over": "UPDATE wechat_dedupe SET status = 'running', reply = NULL, created_at = $2, "
                 "expires_at = $3 WHERE key = $1 AND expires_at <= $2 RETURNING key",
    "get": "SELECT status, reply FROM wechat_dedupe WHERE key = $1",
    "settle": "UPDATE wechat_dedupe SET status = $2, reply = $3 WHERE key = $1",
    "purge": "DELETE FROM wechat_dedupe WHERE expires_at < $1",
}
#: Many claims and settles (of other messages) in one statement: the keys it returns
#: are claimed. A message's settle always follows its own claim's commit.
PG_BATCH = """
WITH claimed AS (
    INSERT INTO wechat_dedupe (key, status, reply, created_at, expires_at)
    SELECT k, 'running', NULL, c, e
    FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) AS v(k, c, e)
    ON CONFLICT (key) DO NOTHING RETURNING key),
settled AS (
    UPDATE wechat_dedupe d SET status = v.status, reply = v.reply
    FROM unnest($4::text[], $5::text[], $6::bytea[]) AS v(key, status, reply)
    WHERE d.key = v.key)
SELECT key FROM claimed
"""
LITE = {name: re.sub(r"\$(\d)", r"?\1", sql) for name, sql in SQL.items()}


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
    """Claims, settles and looks up callback messages by key.

    On SQLite its writes queue on ``db.write_lock`` with the conversation store's: one
    writer at a time in this process keeps writes off SQLite's sleeping busy handler.
    """

    def __init__(self, db: Database, sealer: Sealer, clock: Clock) -> None:
        self.db = db
        self.sealer = sealer
        self.clock = clock
        self._pg = db.dialect == "postgresql"
        self._sql = SQL if self._pg else LITE
        self._lock = db.write_lock
        self._claims = 0
        self._running: dict[str, asyncio.Future[Passive | None]] = {}
        self._settled: OrderedDict[str, tuple[datetime, str, Passive | None]] = OrderedDict()
        #: PostgreSQL: claims ("claim", key, now, expires) and settles ("settle", key,
        #: status, reply) of concurrent callbacks, one statement per batch
        self._batch: GroupCommit[tuple[str, str, Any, Any], bool] = GroupCommit(
            self._write_many, key=lambda item: item[1])

    def key_for(self, raw: str) -> str:
        """Blind index of the raw key, so message ids and openids are not stored."""
        return self.sealer.blind_index("wechat-msg", raw)

    # -- driver access ------------------------------------------------------------------
    @asynccontextmanager
    async def _driver(self, write: bool) -> AsyncIterator[Any]:
        """A raw driver connection, held only for this block (never across a turn):
        the driver-level pool on PostgreSQL, a pooled aiosqlite connection for an
        in-memory SQLite database."""
        if self._pg:
            async with (await self.db.asyncpg_pool()).acquire() as raw:
                yield raw
            return
        async with (self._lock if write else nullcontext()), \
                self.db.engine.connect() as conn:
            yield (await conn.get_raw_connection()).driver_connection

    def _inline(self) -> Any:
        """The inline SQLite connection, or None (PostgreSQL, in-memory SQLite)."""
        return None if self._pg else self.db.inline_sqlite()

    def _time(self, value: datetime) -> Any:
        return value if self._pg else sqlite_time(value)

    async def _rows(self, raw: Any, name: str, *args: Any) -> list[Any]:
        if self._pg:
            return list(await raw.fetch(self._sql[name], *args))
        return list(await raw.execute_fetchall(self._sql[name], args))

    async def _read(self, name: str, *args: Any) -> list[Any]:
        lite = self._inline()
        if lite is not None:  # WAL: a read never waits for a writer
            return lite.execute(LITE[name], args).fetchall()
        async with self._driver(write=False) as raw:
            return await self._rows(raw, name, *args)

    async def _write_many(self, items: list[tuple[str, str, Any, Any]]) -> list[bool]:
        claims = [item[1:] for item in items if item[0] == "claim"]
        settles = [item[1:] for item in items if item[0] == "settle"]
        async with self._driver(write=True) as raw:
            rows = await raw.fetch(PG_BATCH, *(columns(claims) or [[], [], []]),
                                   *(columns(settles) or [[], [], []]))
        claimed = {row[0] for row in rows}
        return [kind == "claim" and key in claimed for kind, key, _, _ in items]

    async def _try_claim(self, key: str, now: datetime) -> tuple[bool, Any]:
        """(claimed, the stored row when not) in as few statements as the engine allows."""
        stamps = self._time(now), self._time(now + CLAIM_TTL)
        lite = self._inline()
        if lite is not None:
            def claim(c: Any) -> tuple[bool, Any]:
                if (c.execute(LITE["claim"], (key, *stamps)).fetchall()
                        or c.execute(LITE["take_over"], (key, *stamps)).fetchall()):
                    return True, None
                return False, c.execute(LITE["get"], (key,)).fetchone()

            return await self.db.write_inline(claim)
        if self._pg and await self._batch.submit(("claim", key, now, now + CLAIM_TTL)):
            return True, None
        async with self._driver(write=True) as raw:
            for _ in range(3):  # a row purged between the statements is free again
                if (await self._rows(raw, "claim", key, *stamps)
                        or await self._rows(raw, "take_over", key, *stamps)):  # expired
                    return True, None
                if rows := await self._rows(raw, "get", key):
                    return False, rows[0]
        raise RuntimeError("wechat dedupe claim did not settle")

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
        mine, row = await self._try_claim(key, now)
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
        lite = self._inline()
        try:
            if also is not None:
                async with (nullcontext() if self._pg else self._lock), \
                        self.db.sessions.begin() as session:
                    await session.execute(sa.text(
                        "UPDATE wechat_dedupe SET status = :status, reply = :reply "
                        "WHERE key = :key"), {"status": status, "reply": blob, "key": key})
                    await also(session)
            elif self._pg:
                await self._batch.submit(("settle", key, status, blob))
            elif lite is not None:
                await self.db.write_inline(lambda c: c.execute(LITE["settle"],
                                                               (key, status, blob)))
            else:
                async with self._driver(write=True) as raw:
                    await raw.execute(LITE["settle"], (key, status, blob))
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
            rows = await self._read("get", key)
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
        if self._pg:
            async with self._driver(write=True) as raw:
                status = await raw.execute(SQL["purge"], now)
            return int(status.rsplit(" ", 1)[-1])
        lite = self._inline()
        if lite is not None:
            return await self.db.write_inline(lambda c: c.execute(
                LITE["purge"], (sqlite_time(now),)).rowcount or 0)
        async with self._driver(write=True) as raw:
            cursor = await raw.execute(LITE["purge"], (sqlite_time(now),))
            return int(cursor.rowcount or 0)

    def _remember(self, key: str, status: str, passive: Passive | None) -> None:
        self._settled[key] = (self.clock.now() + CLAIM_TTL, status, passive)
        self._settled.move_to_end(key)
        while len(self._settled) > CACHE_SIZE:
            self._settled.popitem(last=False)

    def _open(self, blob: bytes | None) -> Passive | None:
        return Passive.from_json(self.sealer.open(bytes(blob))) if blob else None
