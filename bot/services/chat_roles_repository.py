"""The ``chat_roles`` table read whole, a variant per database side by side.

The chat path looks roles up in memory; this read refills that copy. It goes straight
to the driver (asyncpg's pool; SQLite's inline connection, on the event loop: a few
hundred rows in microseconds, no thread hop), because under load a read through
SQLAlchemy's thread hops waited behind every request in flight, and every lookup with it.
"""

from __future__ import annotations

from typing import Protocol

import sqlalchemy as sa

from bot.db.database import Database
from bot.db.dialects import is_postgres
from bot.db.models.roles import ChatRole

SELECT_ALL = "SELECT user_key, role, district FROM chat_roles"


class RolesRows(Protocol):
    async def all(self) -> list[tuple[str, str, str | None]]:
        """Every (user_key, role, district) grant."""
        ...


class _PostgresRows:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def all(self) -> list[tuple[str, str, str | None]]:
        pool = await self.db.asyncpg_pool()
        async with pool.acquire() as conn:
            return [(r[0], r[1], r[2]) for r in await conn.fetch(SELECT_ALL)]


class _SqliteRows:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def all(self) -> list[tuple[str, str, str | None]]:
        inline = self.db.inline_sqlite()
        if inline is not None:  # WAL: a read takes no lock a writer waits for
            return [(r[0], r[1], r[2]) for r in inline.execute(SELECT_ALL).fetchall()]
        async with self.db.sessions() as session:  # in-memory databases (tests)
            rows = await session.execute(sa.select(ChatRole.user_key, ChatRole.role,
                                                ChatRole.district))
            return [(r[0], r[1], r[2]) for r in rows.all()]


def roles_rows(db: Database) -> RolesRows:
    """The variant for ``db`` (chosen once, by :class:`~bot.services.chat_roles.ChatRoles`)."""
    return _PostgresRows(db) if is_postgres(db) else _SqliteRows(db)
