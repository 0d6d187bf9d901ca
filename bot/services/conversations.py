"""The SQL conversation store: state sealed at rest, turns logged, users serialized.

On PostgreSQL the conversation row is locked (``SELECT … FOR UPDATE``) for the whole
turn, so two messages of one user queue even across server processes. SQLite is the
single-process embedded default: turns of one user queue on an in-process lock, and
the save checks the row version so a second process can never overwrite silently.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa

from bot.clock import Clock
from bot.db.engine import Database, inline_write, sqlite_time
from bot.db.models import Conversation, Turn
from bot.dialogue.state import State
from bot.dialogue.store import ConversationStore, KeyLocks, OpenConversation, TurnRecord
from bot.errors import TongguanError
from bot.privacy import Sealer

PG_SELECT = "SELECT id, version, state FROM conversations WHERE user_key = $1 FOR UPDATE"
PG_INSERT = ("INSERT INTO conversations (user_key, lang, state, version, push_allowed, "
             "created_at, updated_at) VALUES ($1, '', NULL, 0, true, $2, $2) "
             "ON CONFLICT (user_key) DO NOTHING")
PG_UPDATE = ("UPDATE conversations SET state = $2, lang = $3, version = version + 1, "
             "updated_at = $4 WHERE id = $1")
PG_TURN = ("INSERT INTO turns (conversation_id, at, flow_id, intent, sealed) "
           "VALUES ($1, $2, $3, $4, $5)")
#: The save and its (usually single) turn row in one round trip.
PG_UPDATE_WITH_TURN = (
    "WITH saved AS (UPDATE conversations SET state = $2, lang = $3, version = version + 1, "
    "updated_at = $4 WHERE id = $1 RETURNING id) "
    "INSERT INTO turns (conversation_id, at, flow_id, intent, sealed) "
    "SELECT id, $4, $5, $6, $7 FROM saved")
LITE_SELECT = "SELECT id, version, state FROM conversations WHERE user_key = ?"
LITE_INSERT = ("INSERT INTO conversations (user_key, lang, state, version, push_allowed, "
               "created_at, updated_at) VALUES (?, '', NULL, 0, 1, ?, ?) "
               "ON CONFLICT (user_key) DO NOTHING")
LITE_UPDATE = ("UPDATE conversations SET state = ?, lang = ?, version = version + 1, "
               "updated_at = ? WHERE id = ? AND version = ?")
LITE_TURN = ("INSERT INTO turns (conversation_id, at, flow_id, intent, sealed) "
             "VALUES (?, ?, ?, ?, ?)")



class ConcurrentUpdateError(TongguanError):
    """Another process saved this conversation first (SQLite, several processes)."""


class SqlStore(ConversationStore):
    """Conversation state in the ``conversations`` table."""

    def __init__(self, db: Database, sealer: Sealer, clock: Clock, *,
                 max_parallel: int = 32) -> None:
        self.db = db
        self.sealer = sealer
        self.clock = clock
        self._locks = KeyLocks()
        # Each PostgreSQL turn holds one pooled connection for its row lock while its
        # actions use others; bounding lock holders keeps the pool from running dry.
        self._gate = asyncio.Semaphore(max_parallel)

    # The hot path (two or three statements per message) goes straight to the driver:
    # through SQLAlchemy each statement cost more CPU than the rest of a turn together.
    def _open_state(self, user_key: str, blob: bytes | None) -> OpenConversation:
        data = self.sealer.open(bytes(blob), context=user_key.encode()) if blob else None
        return OpenConversation(user_key, State.from_json(data), data is None)

    def _sealed(self, conv: OpenConversation) -> tuple[bytes, list[bytes]]:
        state = self.sealer.seal(conv.state.to_json(), context=conv.user_key.encode())
        turns = [self.sealer.seal({"in": t.inbound, "parse": t.parse, "out": t.replies})
                 for t in conv.turns]
        return state, turns

    @asynccontextmanager
    async def _open_postgres(self, user_key: str) -> AsyncIterator[OpenConversation]:
        async with self._gate, self.db.engine.connect() as conn:
            pg = (await conn.get_raw_connection()).driver_connection
            try:
                async with pg.transaction():
                    row = await pg.fetchrow(PG_SELECT, user_key)
                    if row is None:
                        await pg.execute(PG_INSERT, user_key, self.clock.now())
                        row = await pg.fetchrow(PG_SELECT, user_key)
                    conv = self._open_state(user_key, row["state"])
                    yield conv
                    await self._save_postgres(pg, row["id"], conv)
            finally:
                # The transaction is ours, not SQLAlchemy's: should its end have failed
                # (a cancelled turn), never return a connection that still holds the
                # row lock to the pool.
                if pg.is_in_transaction():
                    await conn.invalidate()

    async def _save_postgres(self, pg: Any, row_id: int, conv: OpenConversation) -> None:
        state, turns = self._sealed(conv)
        now = self.clock.now()
        if len(turns) == 1:
            turn = conv.turns[0]
            await pg.execute(PG_UPDATE_WITH_TURN, row_id, state, conv.state.lang, now,
                             turn.flow_id, turn.intent, turns[0])
            return
        await pg.execute(PG_UPDATE, row_id, state, conv.state.lang, now)
        if turns:
            await pg.executemany(PG_TURN, [(row_id, now, t.flow_id, t.intent, blob)
                                           for t, blob in zip(conv.turns, turns, strict=True)])

    @asynccontextmanager
    async def _open_sqlite(self, user_key: str) -> AsyncIterator[OpenConversation]:
        lite = self.db.inline_sqlite()
        if lite is None:  # in-memory SQLite: no second connection can see it
            async with self._open_sqlite_pooled(user_key) as conv:
                yield conv
            return
        # Plain statements on the event loop: reads never wait in WAL mode; the write
        # queues on the process's write lock, then on SQLite's (asynchronously).
        rows = lite.execute(LITE_SELECT, (user_key,)).fetchall()
        if not rows:
            now = sqlite_time(self.clock.now())
            async with self.db.write_lock:
                await inline_write(lite, lambda c: c.execute(LITE_INSERT,
                                                             (user_key, now, now)))
            rows = lite.execute(LITE_SELECT, (user_key,)).fetchall()
        row_id, version, blob = rows[0]
        conv = self._open_state(user_key, blob)
        yield conv
        state, turns = self._sealed(conv)
        now = sqlite_time(self.clock.now())

        def save(c: sqlite3.Connection) -> None:
            cursor = c.execute(LITE_UPDATE, (state, conv.state.lang, now, row_id, version))
            if cursor.rowcount != 1:
                raise ConcurrentUpdateError(f"conversation {row_id} changed meanwhile")
            if turns:
                c.executemany(LITE_TURN, [(row_id, now, t.flow_id, t.intent, blob)
                                          for t, blob in zip(conv.turns, turns, strict=True)])

        async with self.db.write_lock:
            await inline_write(lite, save)

    @asynccontextmanager
    async def _open_sqlite_pooled(self, user_key: str) -> AsyncIterator[OpenConversation]:
        # No connection is held while the turn runs: its actions need pooled
        # connections of their own (holding one here could drain the pool).
        async with self.db.engine.connect() as conn:
            lite = (await conn.get_raw_connection()).driver_connection
            rows = await lite.execute_fetchall(LITE_SELECT, (user_key,))
            if not rows:
                now = sqlite_time(self.clock.now())
                await lite.execute(LITE_INSERT, (user_key, now, now))
                rows = await lite.execute_fetchall(LITE_SELECT, (user_key,))
        row_id, version, blob = rows[0]
        conv = self._open_state(user_key, blob)
        yield conv
        state, turns = self._sealed(conv)
        now = sqlite_time(self.clock.now())
        async with self.db.write_lock, self.db.engine.connect() as conn:
            lite = (await conn.get_raw_connection()).driver_connection
            await lite.execute("BEGIN IMMEDIATE")
            try:
                cursor = await lite.execute(LITE_UPDATE, (state, conv.state.lang, now,
                                                          row_id, version))
                if cursor.rowcount != 1:
                    raise ConcurrentUpdateError(f"conversation {row_id} changed meanwhile")
                if turns:
                    await lite.executemany(LITE_TURN, [
                        (row_id, now, t.flow_id, t.intent, blob)
                        for t, blob in zip(conv.turns, turns, strict=True)])
            except BaseException:
                await lite.execute("ROLLBACK")
                raise
            await lite.execute("COMMIT")

    def open(self, user_key: str):  # type: ignore[no-untyped-def]
        return self._locked(user_key)

    @asynccontextmanager
    async def _locked(self, user_key: str) -> AsyncIterator[OpenConversation]:
        async with self._locks.hold(user_key):
            opener = (self._open_postgres if self.db.dialect == "postgresql"
                      else self._open_sqlite)
            async with opener(user_key) as conv:
                yield conv

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
