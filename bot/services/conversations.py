"""The SQL conversation store: state sealed at rest, turns logged, users serialized.

On PostgreSQL the conversation row is locked (``SELECT … FOR UPDATE``) for the whole
turn, so two messages of one user queue even across server processes. SQLite is the
single-process embedded default: turns of one user queue on an in-process lock, and
the save checks the row version so a second process can never overwrite silently.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import Conversation, Turn
from bot.dialogue.state import State
from bot.dialogue.store import ConversationStore, KeyLocks, OpenConversation, TurnRecord
from bot.errors import TongguanError
from bot.privacy import Sealer


class ConcurrentUpdateError(TongguanError):
    """Another process saved this conversation first (SQLite, several processes)."""


class SqlStore(ConversationStore):
    """Conversation state in the ``conversations`` table."""

    def __init__(self, db: Database, sealer: Sealer, clock: Clock, *,
                 max_parallel: int = 16) -> None:
        self.db = db
        self.sealer = sealer
        self.clock = clock
        self._locks = KeyLocks()
        # Each PostgreSQL turn holds one pooled connection for its row lock while its
        # actions use others; bounding lock holders keeps the pool from running dry.
        self._gate = asyncio.Semaphore(max_parallel)

    async def _load_row(self, session: AsyncSession, user_key: str, *,
                        lock: bool) -> tuple[int, int, OpenConversation]:
        """(row id, version, opened conversation); creates the row on first contact."""
        table = Conversation.__table__
        query = sa.select(table.c.id, table.c.version, table.c.state).where(
            table.c.user_key == user_key)
        if lock:
            query = query.with_for_update()
        row = (await session.execute(query)).first()
        if row is None:
            now = self.clock.now()
            insert = pg_insert if self.db.dialect == "postgresql" else sqlite_insert
            await session.execute(insert(table).values(
                user_key=user_key, lang="", state=None, version=0, push_allowed=True,
                created_at=now, updated_at=now).on_conflict_do_nothing(
                    index_elements=["user_key"]))
            row = (await session.execute(query)).one()
        data = self.sealer.open(row.state, context=user_key.encode()) if row.state else None
        return row.id, row.version, OpenConversation(user_key, State.from_json(data),
                                                     data is None)

    async def _save(self, session: AsyncSession, row_id: int, version: int,
                    conv: OpenConversation) -> None:
        now = self.clock.now()
        table = Conversation.__table__
        result = await session.execute(
            sa.update(table).where(table.c.id == row_id, table.c.version == version)
            .values(state=self.sealer.seal(conv.state.to_json(),
                                           context=conv.user_key.encode()),
                    lang=conv.state.lang, version=version + 1, updated_at=now))
        if result.rowcount != 1:
            raise ConcurrentUpdateError(f"conversation {row_id} changed meanwhile")
        if conv.turns:
            await session.execute(sa.insert(Turn.__table__), [
                dict(conversation_id=row_id, at=now, flow_id=turn.flow_id, intent=turn.intent,
                     sealed=self.sealer.seal({"in": turn.inbound, "parse": turn.parse,
                                              "out": turn.replies}))
                for turn in conv.turns])

    @asynccontextmanager
    async def open(self, user_key: str) -> AsyncIterator[OpenConversation]:
        async with self._locks.hold(user_key):
            if self.db.dialect == "postgresql":
                async with self._gate, self.db.sessions.begin() as session:
                    row_id, version, conv = await self._load_row(session, user_key, lock=True)
                    yield conv
                    await self._save(session, row_id, version, conv)
                return
            async with self.db.sessions.begin() as session:
                row_id, version, conv = await self._load_row(session, user_key, lock=False)
            yield conv
            async with self.db.sessions.begin() as session:
                await self._save(session, row_id, version, conv)

    async def recent_turns(self, user_key: str, limit: int = 30) -> list[TurnRecord]:
        async with self.db.sessions() as session:
            rows = (await session.scalars(
                sa.select(Turn).join(Conversation, Turn.conversation_id == Conversation.id)
                .where(Conversation.user_key == user_key)
                .order_by(Turn.id.desc()).limit(limit))).all()
        out = []
        for row in reversed(rows):
            data = self.sealer.open(row.sealed)
            out.append(TurnRecord(data["in"], data["parse"], data["out"], row.flow_id,
                                  row.intent))
        return out
