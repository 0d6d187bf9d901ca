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
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.batching import GroupCommit, columns
from bot.db.database import Database, sqlite_time
from bot.db.dialects import choose

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
#: The settle that shares a transaction with other writes (through a session).
SETTLE_IN_SESSION = sa.text("UPDATE wechat_dedupe SET status = :status, reply = :reply "
                            "WHERE key = :key")


class DedupeRepository(ABC):
    """Claims, settles, reads and purges ``wechat_dedupe`` rows of one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @abstractmethod
    async def claim(self, key: str, now: datetime, expires: datetime) -> tuple[bool, Any]:
        """(claimed, the stored (status, reply) row when not) in as few statements as
        the database allows; a row whose claim expired is taken over."""

    @abstractmethod
    async def get(self, key: str) -> list[Any]:
        """The (status, reply) row of ``key``, if any (as a list)."""

    @abstractmethod
    async def settle(self, key: str, status: str, reply: bytes | None) -> None:
        """Record a message's outcome."""

    @abstractmethod
    async def purge(self, now: datetime) -> int:
        """Delete claims expired before ``now``; returns how many."""

    def _writing(self) -> AbstractAsyncContextManager[Any]:
        """What a write through a session queues on in this process."""
        return nullcontext()

    async def settle_with(self, key: str, status: str, reply: bytes | None,
                          also: Callable[[AsyncSession], Awaitable[None]]) -> None:
        """:meth:`settle` and ``also`` in one transaction."""
        async with self._writing(), self.db.sessions.begin() as session:
            await session.execute(SETTLE_IN_SESSION,
                                  {"status": status, "reply": reply, "key": key})
            await also(session)

    # -- on a pooled driver connection ---------------------------------------------------
    @abstractmethod
    def _driver(self, write: bool) -> AbstractAsyncContextManager[Any]:
        """A raw driver connection, held only for this block (never across a turn)."""

    @abstractmethod
    async def _rows(self, raw: Any, name: str, *args: Any) -> list[Any]:
        """Rows of the fixed statement ``name`` on ``raw``."""

    @abstractmethod
    def _time(self, value: datetime) -> Any:
        """A time as the driver takes it."""

    async def _claim_pooled(self, key: str, now: datetime, expires: datetime
                            ) -> tuple[bool, Any]:
        stamps = self._time(now), self._time(expires)
        async with self._driver(write=True) as raw:
            for _ in range(3):  # a row purged between the statements is free again
                if (await self._rows(raw, "claim", key, *stamps)
                        or await self._rows(raw, "take_over", key, *stamps)):  # expired
                    return True, None
                if rows := await self._rows(raw, "get", key):
                    return False, rows[0]
        raise RuntimeError("wechat dedupe claim did not settle")


class PostgresDedupeRepository(DedupeRepository):
    def __init__(self, db: Database) -> None:
        super().__init__(db)
        #: claims ("claim", key, now, expires) and settles ("settle", key, status,
        #: reply) of concurrent callbacks, one statement per batch
        self._batch: GroupCommit[tuple[str, str, Any, Any], bool] = GroupCommit(
            self._write_many, key=lambda item: item[1])

    @asynccontextmanager
    async def _driver(self, write: bool) -> AsyncIterator[Any]:
        async with (await self.db.asyncpg_pool()).acquire() as raw:
            yield raw

    async def _rows(self, raw: Any, name: str, *args: Any) -> list[Any]:
        return list(await raw.fetch(SQL[name], *args))

    def _time(self, value: datetime) -> Any:
        return value

    async def _write_many(self, items: list[tuple[str, str, Any, Any]]) -> list[bool]:
        claims = [item[1:] for item in items if item[0] == "claim"]
        settles = [item[1:] for item in items if item[0] == "settle"]
        async with self._driver(write=True) as raw:
            rows = await raw.fetch(PG_BATCH, *(columns(claims) or [[], [], []]),
                                   *(columns(settles) or [[], [], []]))
        claimed = {row[0] for row in rows}
        return [kind == "claim" and key in claimed for kind, key, _, _ in items]

    async def claim(self, key: str, now: datetime, expires: datetime) -> tuple[bool, Any]:
        if await self._batch.submit(("claim", key, now, expires)):
            return True, None
        return await self._claim_pooled(key, now, expires)

    async def get(self, key: str) -> list[Any]:
        async with self._driver(write=False) as raw:
            return await self._rows(raw, "get", key)

    async def settle(self, key: str, status: str, reply: bytes | None) -> None:
        await self._batch.submit(("settle", key, status, reply))

    async def purge(self, now: datetime) -> int:
        async with self._driver(write=True) as raw:
            status = await raw.execute(SQL["purge"], now)
        return int(status.rsplit(" ", 1)[-1])


class SqliteDedupeRepository(DedupeRepository):
    def _writing(self) -> AbstractAsyncContextManager[Any]:
        return self.db.write_lock

    @asynccontextmanager
    async def _driver(self, write: bool) -> AsyncIterator[Any]:
        """A pooled aiosqlite connection (for an in-memory database)."""
        async with (self.db.write_lock if write else nullcontext()), \
                self.db.engine.connect() as conn:
            yield (await conn.get_raw_connection()).driver_connection

    async def _rows(self, raw: Any, name: str, *args: Any) -> list[Any]:
        return list(await raw.execute_fetchall(LITE[name], args))

    def _time(self, value: datetime) -> Any:
        return sqlite_time(value)

    async def claim(self, key: str, now: datetime, expires: datetime) -> tuple[bool, Any]:
        if self.db.inline_sqlite() is None:
            return await self._claim_pooled(key, now, expires)
        stamps = sqlite_time(now), sqlite_time(expires)

        def claim(c: Any) -> tuple[bool, Any]:
            if (c.execute(LITE["claim"], (key, *stamps)).fetchall()
                    or c.execute(LITE["take_over"], (key, *stamps)).fetchall()):
                return True, None
            return False, c.execute(LITE["get"], (key,)).fetchone()

        return await self.db.write_inline(claim)

    async def get(self, key: str) -> list[Any]:
        lite = self.db.inline_sqlite()
        if lite is not None:  # WAL: a read never waits for a writer
            return lite.execute(LITE["get"], (key,)).fetchall()
        async with self._driver(write=False) as raw:
            return await self._rows(raw, "get", key)

    async def settle(self, key: str, status: str, reply: bytes | None) -> None:
        if self.db.inline_sqlite() is not None:
            await self.db.write_inline(lambda c: c.execute(LITE["settle"],
                                                           (key, status, reply)))
            return
        async with self._driver(write=True) as raw:
            await raw.execute(LITE["settle"], (key, status, reply))

    async def purge(self, now: datetime) -> int:
        if self.db.inline_sqlite() is not None:
            return await self.db.write_inline(lambda c: c.execute(
                LITE["purge"], (sqlite_time(now),)).rowcount or 0)
        async with self._driver(write=True) as raw:
            cursor = await raw.execute(LITE["purge"], (sqlite_time(now),))
            return int(cursor.rowcount or 0)


def dedupe_repository(db: Database) -> DedupeRepository:
    """The variant for ``db``'s dialect."""
    return choose(db, postgresql=PostgresDedupeRepository, sqlite=SqliteDedupeRepository)(db)
