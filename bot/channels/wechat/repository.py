"""The WeChat dedupe table's SQL (``wechat_dedupe``), a variant per database side by side.

:func:`dedupe_repository` picks the variant once (``DedupeStore`` keeps it). Fixed
statements go straight to the driver (``$n`` for asyncpg, ``?`` for sqlite3), like the
conversation store's: through SQLAlchemy each cost more CPU than the rest of a callback.

On PostgreSQL, claims and settles of concurrent callbacks go to the database together
(group commit, :mod:`bot.db.batching`): one statement for many messages' claims and
settles, on the driver-level asyncpg pool. On SQLite they run on the process's inline
connection (no thread hop), group-committed with its other inline writes; an in-memory
database (no inline connection) uses a pooled driver connection, its writes queued on
``db.write_lock`` with the conversation store's: one writer at a time in this process
keeps writes off SQLite's sleeping busy handler.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.batching import GroupCommit, columns
from bot.db.database import Database, affected_rows
from bot.db.dialects import choose
from bot.db.sqlite_inline import sqlite_time

SQL = {
    "claim": "INSERT INTO wechat_dedupe (key, status, reply, created_at, expires_at, inbound) "
             "VALUES ($1, 'running', NULL, $2, $3, $4) ON CONFLICT (key) DO NOTHING "
             "RETURNING key",
    # An expired claim: a running one whose process stopped renewing it, or a settled one
    # an hour old. The message is kept (a taker without it, the recovery, reads it).
    "take_over": "UPDATE wechat_dedupe SET status = 'running', reply = NULL, created_at = $2, "
                 "expires_at = $3, inbound = COALESCE($4, inbound) "
                 "WHERE key = $1 AND expires_at <= $2 RETURNING key, inbound",
    "get": "SELECT status, reply, expires_at FROM wechat_dedupe WHERE key = $1",
    # Only the claim's own holder settles it (``created_at`` is the claim's time).
    "settle": "UPDATE wechat_dedupe SET status = $2, reply = $3, expires_at = $5, "
              "inbound = NULL WHERE key = $1 AND created_at = $4",
    "renew": "UPDATE wechat_dedupe SET expires_at = $3 WHERE key = $1 AND created_at = $2 "
             "AND status = 'running' RETURNING key",
    "orphans": "SELECT key FROM wechat_dedupe WHERE status = 'running' AND expires_at <= $1 "
               "AND inbound IS NOT NULL ORDER BY expires_at LIMIT $2",
    # Settled rows past their time; a running row only once nobody can recover it.
    "purge": "DELETE FROM wechat_dedupe WHERE expires_at < $1 "
             "AND (status <> 'running' OR created_at < $2)",
    # The receipts of this channel's turns and actions (keys wechat:…), as old.
    "purge_receipts": "DELETE FROM turn_receipts WHERE key LIKE 'wechat:%' "
                      "AND created_at < $1",
}
#: Many claims and settles (of other messages) in one statement: the keys it returns
#: are claimed. A message's settle always follows its own claim's commit.
PG_BATCH = """
WITH claimed AS (
    INSERT INTO wechat_dedupe (key, status, reply, created_at, expires_at, inbound)
    SELECT k, 'running', NULL, c, e, i
    FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::bytea[])
        AS v(k, c, e, i)
    ON CONFLICT (key) DO NOTHING RETURNING key),
settled AS (
    UPDATE wechat_dedupe d SET status = v.status, reply = v.reply, expires_at = v.e,
           inbound = NULL
    FROM unnest($5::text[], $6::text[], $7::bytea[], $8::timestamptz[], $9::timestamptz[])
        AS v(key, status, reply, token, e)
    WHERE d.key = v.key AND d.created_at = v.token)
SELECT key FROM claimed
"""
LITE = {name: re.sub(r"\$(\d)", r"?\1", sql) for name, sql in SQL.items()}
#: The settle that shares a transaction with other writes (through a session).
SETTLE_IN_SESSION = sa.text(
    "UPDATE wechat_dedupe SET status = :status, reply = :reply, expires_at = :expires, "
    "inbound = NULL WHERE key = :key AND created_at = :token")

#: What :meth:`DedupeRepository.claim` did: ``new`` (inserted), ``taken`` (an expired
#: claim taken over) or ``""`` (held by another request: its (status, reply, expires)).
Claimed = tuple[str, Any]


class DedupeRepository(ABC):
    """Claims, settles, reads and purges ``wechat_dedupe`` rows of one database.

    Times are aware datetimes; ``token`` is a claim's time (its ``created_at``), which
    only the request (or recovery) holding that claim knows.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    @abstractmethod
    async def claim(self, key: str, now: datetime, until: datetime,
                    inbound: bytes | None) -> Claimed:
        """Claim ``key`` until ``until`` (a row whose claim expired is taken over), in as
        few statements as the database allows."""

    @abstractmethod
    async def settle(self, key: str, token: datetime, status: str, reply: bytes | None,
                     expires: datetime) -> None:
        """Record a message's outcome (only while ``token`` still holds the claim)."""

    async def settle_with(self, key: str, token: datetime, status: str, reply: bytes | None,
                          expires: datetime,
                          also: Callable[[AsyncSession], Awaitable[None]]) -> bool:
        """:meth:`settle` and ``also`` in one transaction; ``also`` runs only while
        ``token`` still holds the claim (returns whether it did)."""
        async with self._writing(), self.db.sessions.begin() as session:
            result = await session.execute(SETTLE_IN_SESSION, {
                "status": status, "reply": reply, "key": key, "token": self._time(token),
                "expires": self._time(expires)})
            if not affected_rows(result):
                return False
            await also(session)
        return True

    async def take_over(self, key: str, now: datetime, until: datetime,
                        inbound: bytes | None) -> tuple[bool, bytes | None]:
        """Take ``key``'s claim over if it expired: (taken, the message kept with it)."""
        async with self._driver(write=True) as raw:
            rows = await self._rows(raw, "take_over", key, self._time(now),
                                    self._time(until), inbound)
        return (True, rows[0][1]) if rows else (False, None)

    async def get(self, key: str) -> list[Any]:
        """The (status, reply, expires_at) row of ``key``, if any (as a list)."""
        async with self._driver(write=False) as raw:
            return await self._rows(raw, "get", key)

    async def renew(self, key: str, token: datetime, until: datetime) -> bool:
        """Extend a running claim; False when ``token`` no longer holds it."""
        async with self._driver(write=True) as raw:
            return bool(await self._rows(raw, "renew", key, self._time(token),
                                         self._time(until)))

    async def orphans(self, before: datetime, limit: int) -> list[str]:
        """Keys of running claims that expired before ``before`` and keep their message."""
        async with self._driver(write=False) as raw:
            return [row[0] for row in await self._rows(raw, "orphans", self._time(before),
                                                       limit)]

    async def purge(self, now: datetime, stale: datetime) -> int:
        """Delete settled claims expired before ``now``, running ones and receipts of
        this channel made before ``stale``; returns how many claims."""
        async with self._driver(write=True) as raw:
            await self._count(raw, "purge_receipts", self._time(stale))
        async with self._driver(write=True) as raw:
            return await self._count(raw, "purge", self._time(now), self._time(stale))

    def _writing(self) -> AbstractAsyncContextManager[Any]:
        """What a write through a session queues on in this process."""
        return nullcontext()

    # -- on a pooled driver connection ---------------------------------------------------
    @abstractmethod
    def _driver(self, write: bool) -> AbstractAsyncContextManager[Any]:
        """A raw driver connection, held only for this block (never across a turn)."""

    @abstractmethod
    async def _rows(self, raw: Any, name: str, *args: Any) -> list[Any]:
        """Rows of the fixed statement ``name`` on ``raw``."""

    @abstractmethod
    async def _count(self, raw: Any, name: str, *args: Any) -> int:
        """Rows the fixed statement ``name`` changed on ``raw``."""

    @abstractmethod
    def _time(self, value: datetime) -> Any:
        """A time as the driver takes it."""

    async def _claim_pooled(self, key: str, now: datetime, until: datetime,
                            inbound: bytes | None) -> Claimed:
        args = key, self._time(now), self._time(until), inbound
        async with self._driver(write=True) as raw:
            for _ in range(3):  # a row purged between the statements is free again
                if await self._rows(raw, "claim", *args):
                    return "new", None
                if await self._rows(raw, "take_over", *args):  # expired
                    return "taken", None
                if rows := await self._rows(raw, "get", key):
                    return "", rows[0]
        raise RuntimeError("wechat dedupe claim did not settle")


class PostgresDedupeRepository(DedupeRepository):
    def __init__(self, db: Database) -> None:
        super().__init__(db)
        #: claims ("claim", key, now, until, inbound) and settles ("settle", key, status,
        #: reply, token, expires) of concurrent callbacks, one statement per batch
        self._batch: GroupCommit[tuple[Any, ...], bool] = GroupCommit(
            self._write_many, key=lambda item: item[1])

    @asynccontextmanager
    async def _driver(self, write: bool) -> AsyncIterator[Any]:
        async with (await self.db.asyncpg_pool()).acquire() as raw:
            yield raw

    async def _rows(self, raw: Any, name: str, *args: Any) -> list[Any]:
        return list(await raw.fetch(SQL[name], *args))

    async def _count(self, raw: Any, name: str, *args: Any) -> int:
        status = await raw.execute(SQL[name], *args)
        return int(status.rsplit(" ", 1)[-1])

    def _time(self, value: datetime) -> Any:
        return value

    async def _write_many(self, items: list[tuple[Any, ...]]) -> list[bool]:
        claims = [item[1:] for item in items if item[0] == "claim"]
        settles = [item[1:] for item in items if item[0] == "settle"]
        async with self._driver(write=True) as raw:
            rows = await raw.fetch(PG_BATCH, *(columns(claims) or [[]] * 4),
                                   *(columns(settles) or [[]] * 5))
        claimed = {row[0] for row in rows}
        return [item[0] == "claim" and item[1] in claimed for item in items]

    async def claim(self, key: str, now: datetime, until: datetime,
                    inbound: bytes | None) -> Claimed:
        if await self._batch.submit(("claim", key, now, until, inbound)):
            return "new", None
        return await self._claim_pooled(key, now, until, inbound)

    async def settle(self, key: str, token: datetime, status: str, reply: bytes | None,
                     expires: datetime) -> None:
        await self._batch.submit(("settle", key, status, reply, token, expires))


class SqliteDedupeRepository(DedupeRepository):
    def _writing(self) -> AbstractAsyncContextManager[Any]:
        return self.db.write_lock

    @asynccontextmanager
    async def _driver(self, write: bool) -> AsyncIterator[Any]:
        """Nothing for a file database (statements go to the inline connection, see
        :meth:`_rows`); a pooled aiosqlite connection for an in-memory one."""
        if self.db.inline_sqlite() is not None:
            yield None
            return
        async with (self.db.write_lock if write else nullcontext()), \
                self.db.engine.connect() as conn:
            yield (await conn.get_raw_connection()).driver_connection

    async def _rows(self, raw: Any, name: str, *args: Any) -> list[Any]:
        if raw is not None:
            return list(await raw.execute_fetchall(LITE[name], args))
        lite = self.db.inline_sqlite()
        assert lite is not None
        if name in ("get", "orphans"):  # WAL: a read never waits for a writer
            return lite.execute(LITE[name], args).fetchall()
        return await self.db.write_inline(lambda c: c.execute(LITE[name], args).fetchall())

    async def _count(self, raw: Any, name: str, *args: Any) -> int:
        if raw is not None:
            cursor = await raw.execute(LITE[name], args)
            return int(cursor.rowcount or 0)
        return await self.db.write_inline(
            lambda c: c.execute(LITE[name], args).rowcount or 0)

    async def get(self, key: str) -> list[Any]:
        rows = await super().get(key)
        return [(status, reply, _aware(expires)) for status, reply, expires in rows]

    def _time(self, value: datetime) -> Any:
        return sqlite_time(value)

    async def claim(self, key: str, now: datetime, until: datetime,
                    inbound: bytes | None) -> Claimed:
        if self.db.inline_sqlite() is None:
            return await self._claim_pooled(key, now, until, inbound)
        args = key, sqlite_time(now), sqlite_time(until), inbound

        def claim(c: Any) -> Claimed:
            if c.execute(LITE["claim"], args).fetchall():
                return "new", None
            if c.execute(LITE["take_over"], args).fetchall():
                return "taken", None
            return "", c.execute(LITE["get"], (key,)).fetchone()

        return await self.db.write_inline(claim)

    async def settle(self, key: str, token: datetime, status: str, reply: bytes | None,
                     expires: datetime) -> None:
        args = key, status, reply, sqlite_time(token), sqlite_time(expires)
        if self.db.inline_sqlite() is not None:
            await self.db.write_inline(lambda c: c.execute(LITE["settle"], args))
            return
        async with self._driver(write=True) as raw:
            await raw.execute(LITE["settle"], args)


def _aware(value: Any) -> datetime:
    """A time read back from SQLite (text, UTC) as an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def dedupe_repository(db: Database) -> DedupeRepository:
    """The variant for ``db``'s dialect."""
    return choose(db, postgresql=PostgresDedupeRepository, sqlite=SqliteDedupeRepository)(db)
