"""The one handoff read on the chat path — a request's state — a variant per database.

A user with a request pays it on every turn, so it goes straight to the driver (asyncpg's
pool; SQLite's inline connection, on the event loop: a primary-key read in microseconds)
instead of through SQLAlchemy's thread hops, which under load waited behind every
request in flight (see :mod:`bot.services.chat_roles_repository`).
"""

from __future__ import annotations

from typing import Protocol

import sqlalchemy as sa

from bot.db.database import Database
from bot.db.dialects import is_postgres
from bot.db.models import Handoff


class StatusReader(Protocol):
    async def status(self, handoff_id: int) -> str | None:
        """The request's state, None when there is no such request."""
        ...


class _PostgresStatus:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def status(self, handoff_id: int) -> str | None:
        pool = await self.db.asyncpg_pool()
        async with pool.acquire() as conn:
            return await conn.fetchval("SELECT status FROM handoffs WHERE id = $1",
                                       handoff_id)


class _SqliteStatus:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def status(self, handoff_id: int) -> str | None:
        inline = self.db.inline_sqlite()
        if inline is not None:  # WAL: a read takes no lock a writer waits for
            row = inline.execute("SELECT status FROM handoffs WHERE id = ?",
                                 (handoff_id,)).fetchone()
            return row[0] if row else None
        async with self.db.sessions() as session:  # in-memory databases (tests)
            return await session.scalar(sa.select(Handoff.status).where(
                Handoff.id == handoff_id))


def status_reader(db: Database) -> StatusReader:
    """The variant for ``db`` (chosen once, by :class:`~.requests.Handoffs`)."""
    return _PostgresStatus(db) if is_postgres(db) else _SqliteStatus(db)
