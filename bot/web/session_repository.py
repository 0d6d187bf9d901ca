"""The web API's bearer sessions in the ``api_sessions`` table: their SQL, a variant per
database side by side (:func:`session_repository` picks one).

Only a token's hash is stored. On PostgreSQL, new sessions of concurrent requests are
written together (one ``unnest`` statement per batch on the driver-level asyncpg pool:
``batched``, see :mod:`bot.db.batching`); on SQLite each is one inline statement (no
thread hop), group-committed with the process's other inline writes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.db.batching import columns
from bot.db.database import Database
from bot.db.dialects import choose
from bot.db.models import ApiSession
from bot.db.sqlite_inline import sqlite_time

#: (token hash, user id, created at, expires at)
SessionRow = tuple[str, str, datetime, datetime]

PG_INSERT_SESSIONS = (
    "INSERT INTO api_sessions (token_hash, user_id, created_at, expires_at) "
    "SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[])")
LITE_INSERT_SESSION = ("INSERT INTO api_sessions (token_hash, user_id, created_at, expires_at) "
                       "VALUES (?, ?, ?, ?)")


class SessionRepository(ABC):
    """Writes and reads ``api_sessions`` rows of one database."""

    #: whether new sessions should reach :meth:`insert_many` through a group commit
    #: (each costs a round trip of its own otherwise) rather than :meth:`insert`
    batched = False

    def __init__(self, db: Database) -> None:
        self.db = db

    @abstractmethod
    async def insert(self, row: SessionRow) -> None:
        """Write one session."""

    async def insert_many(self, rows: list[SessionRow]) -> list[None]:
        """Write many sessions at once (one result per row, for a group commit)."""
        for row in rows:
            await self.insert(row)
        return [None] * len(rows)

    async def find(self, digest: str) -> Any:
        """The row (``user_id``, ``expires_at``) of a token hash, or None."""
        async with self.db.sessions() as session:
            return (await session.execute(
                sa.select(ApiSession.user_id, ApiSession.expires_at)
                .where(ApiSession.token_hash == digest))).first()


class PostgresSessionRepository(SessionRepository):
    batched = True

    async def insert(self, row: SessionRow) -> None:
        await self.insert_many([row])

    async def insert_many(self, rows: list[SessionRow]) -> list[None]:
        pool = await self.db.asyncpg_pool()
        await pool.execute(PG_INSERT_SESSIONS, *columns(rows))
        return [None] * len(rows)


class SqliteSessionRepository(SessionRepository):
    async def insert(self, row: SessionRow) -> None:
        digest, user_id, created_at, expires_at = row
        if self.db.inline_sqlite() is not None:  # one inline statement, no thread hop
            stamp = (sqlite_time(created_at), sqlite_time(expires_at))
            await self.db.write_inline(lambda c: c.execute(LITE_INSERT_SESSION,
                                                           (digest, user_id, *stamp)))
            return
        async with self.db.write() as session:  # in-memory database
            session.add(ApiSession(token_hash=digest, user_id=user_id, created_at=created_at,
                                   expires_at=expires_at))


def session_repository(db: Database) -> SessionRepository:
    """The variant for ``db``'s dialect (a light object: build it where needed)."""
    return choose(db, postgresql=PostgresSessionRepository, sqlite=SqliteSessionRepository)(db)
