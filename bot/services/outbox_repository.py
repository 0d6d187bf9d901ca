"""The outbox's SQL that differs between databases, a variant for each side by side.

:func:`outbox_repository` picks the variant once (``Outbox`` keeps it); the outbox never
looks at the dialect itself. Differences: the ``INSERT … ON CONFLICT`` construct, row
locks when claiming (PostgreSQL ``FOR UPDATE SKIP LOCKED``, so several workers can claim
at once; SQLite has one writer at a time), and the cheap existence reads pollers make
before any write (on a file-backed SQLite database a plain WAL read on the event loop,
which takes no lock; else a query through a session).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.dml import Insert

from bot.db.database import Database
from bot.db.dialects import choose
from bot.db.models import OutboxMessage
from bot.db.sqlite_inline import sqlite_time


def due(query: sa.Select, now: datetime, channels: set[str] | None,
        user_id: str | None) -> sa.Select:
    """``query`` narrowed to due messages (pending, or sending past their lease)."""
    query = query.where(OutboxMessage.status.in_(("pending", "sending")),
                        OutboxMessage.due_at <= now)
    if channels is not None:
        query = query.where(OutboxMessage.channel.in_(channels))
    if user_id is not None:
        query = query.where(OutboxMessage.user_id == user_id)
    return query


def handed_out(channel: str, user_id: str, through: int) -> tuple[Any, ...]:
    """Conditions of one user's messages handed out (``sending``) up to id ``through``."""
    return (OutboxMessage.channel == channel, OutboxMessage.user_id == user_id,
            OutboxMessage.status == "sending", OutboxMessage.id <= through)


class OutboxRepository(ABC):
    """The outbox's dialect-specific statements, for one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @abstractmethod
    def _insert(self, table: Any) -> Any:
        """The dialect's ``INSERT`` construct (with ``on_conflict_do_nothing``)."""

    def queue(self, values: dict[str, Any]) -> Insert:
        """The insert of one message; a message with a ``dedupe_key`` already queued is
        left alone."""
        return self._insert(OutboxMessage).values(**values).on_conflict_do_nothing(
            index_elements=["dedupe_key"])

    def claimable(self, query: sa.Select) -> sa.Select:
        """``query`` (due messages) as a claim: rows another worker is claiming are left
        out where the database has row locks."""
        return query

    async def any_due(self, now: datetime, channels: set[str] | None,
                      user_id: str | None) -> bool:
        """A cheap read: is anything due? (Pollers ask often; most answers are no.)"""
        return await self._exists(due(sa.select(OutboxMessage.id), now, channels, user_id))

    async def any_handed_out(self, channel: str, user_id: str, through: int) -> bool:
        """Whether :meth:`Outbox.acknowledge` has anything to settle (most polls do not)."""
        return await self._exists(sa.select(OutboxMessage.id).where(
            *handed_out(channel, user_id, through)))

    async def _exists(self, query: sa.Select) -> bool:
        async with self.db.sessions() as session:
            return (await session.scalar(query.limit(1))) is not None


class PostgresOutboxRepository(OutboxRepository):
    def _insert(self, table: Any) -> Any:
        return pg_insert(table)

    def claimable(self, query: sa.Select) -> sa.Select:
        return query.with_for_update(skip_locked=True)


class SqliteOutboxRepository(OutboxRepository):
    """Existence reads run as plain SQL on the inline connection when there is one
    (``Database.inline_sqlite``: not for an in-memory database)."""

    def _insert(self, table: Any) -> Any:
        return sqlite_insert(table)

    async def any_due(self, now: datetime, channels: set[str] | None,
                      user_id: str | None) -> bool:
        lite = self.db.inline_sqlite()
        if lite is None:
            return await super().any_due(now, channels, user_id)
        sql = "SELECT 1 FROM outbox WHERE status IN ('pending', 'sending') AND due_at <= ?"
        args: list[object] = [sqlite_time(now)]
        if channels is not None:
            sql += f" AND channel IN ({', '.join('?' * len(channels))})"
            args += sorted(channels)
        if user_id is not None:
            sql += " AND user_id = ?"
            args.append(user_id)
        return lite.execute(sql + " LIMIT 1", args).fetchone() is not None

    async def any_handed_out(self, channel: str, user_id: str, through: int) -> bool:
        lite = self.db.inline_sqlite()
        if lite is None:
            return await super().any_handed_out(channel, user_id, through)
        return lite.execute("SELECT 1 FROM outbox WHERE status = 'sending' AND channel = ? "
                            "AND user_id = ? AND id <= ? LIMIT 1",
                            [channel, user_id, through]).fetchone() is not None


def outbox_repository(db: Database) -> OutboxRepository:
    """The variant for ``db``'s dialect."""
    return choose(db, postgresql=PostgresOutboxRepository, sqlite=SqliteOutboxRepository)(db)
