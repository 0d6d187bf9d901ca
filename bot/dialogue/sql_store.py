"""The SQL conversation store: state sealed at rest, turns logged, users serialized.

Turns of one user queue on an in-process lock. Each process keeps the conversations it
served last (row id, version, opened state), so a turn usually starts without reading
the database and ends with one conditional write: the save applies only if the row
still has the version this turn started from, else :class:`StaleConversation` makes
the engine run the turn again on the fresh row. Before a turn writes anything else
(an action…) it calls ``conv.exclusive()``: on PostgreSQL that locks the row
(``SELECT … FOR UPDATE``) until the save, so such a turn is never re-run, even with
several server processes. SQLite is the single-process embedded default: there the
check re-reads the version, and the conditional save still refuses to overwrite.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any

import sqlalchemy as sa

from bot.clock import Clock
from bot.db.batching import GroupCommit
from bot.db.database import Database
from bot.db.dialects import choose
from bot.db.models import Conversation, Turn, TurnReceipt
from bot.db.sqlite_inline import sqlite_time
from bot.dialogue.sql_store_core import CACHE_SIZE, Loaded, Sealed, StoreCore
from bot.dialogue.sql_store_inline import InlineTurn
from bot.dialogue.sql_store_statements import (
    LITE_INSERT,
    LITE_SELECT,
    LITE_TURN,
    LITE_UPDATE,
    PG_BEGIN_LOCK,
    PG_FIND_OR_CREATE,
    PG_SELECT,
    PG_TURN,
    PG_UPDATE,
    PG_UPDATE_WITH_TURN,
    Save,
    lite_insert,
    lite_values,
    pg_insert,
    pg_save_batch,
)
from bot.dialogue.store import (
    ConversationStore,
    OpenConversation,
    StaleConversation,
    TurnRecord,
)
from bot.privacy import Sealer


class SqlStore(StoreCore, ConversationStore):
    """Conversation state in the ``conversations`` table.

    What differs between the databases (the statements, and how they reach the
    database) is a variant object chosen once, here: :class:`_PostgresRows` or
    :class:`_SqliteRows`; the rest (per-user locks, the cache, sealing) is shared.
    """

    def __init__(self, db: Database, sealer: Sealer, clock: Clock, *,
                 cache_size: int = CACHE_SIZE) -> None:
        super().__init__(db, sealer, clock, cache_size=cache_size)
        self._rows: _Rows = choose(db, postgresql=_PostgresRows, sqlite=_SqliteRows)(self)

    # The hot path (one to three statements per message) goes straight to the driver:
    # through SQLAlchemy each statement cost more CPU than the rest of a turn together.
    def open(self, user_key: str) -> AbstractAsyncContextManager[OpenConversation]:
        lite = self.db.inline_sqlite()
        if lite is not None:  # a SQLite file: the hot path in one flat context manager
            return InlineTurn(self, lite, user_key)
        return self._locked(user_key)

    @asynccontextmanager
    async def _locked(self, user_key: str) -> AsyncIterator[OpenConversation]:
        async with self.locks.hold(user_key):
            try:
                async with self._rows.open(user_key) as conv:
                    yield conv
            except BaseException:
                # Whatever failed, the next turn reads the row afresh.
                self.cache.pop(user_key, None)
                raise

    async def prefetch(self, user_key: str) -> None:
        await self._rows.prefetch(user_key)

    async def receipt(self, key: str) -> list[dict[str, Any]] | None:
        async with self.db.sessions() as session:
            blob = await session.scalar(sa.select(TurnReceipt.sealed)
                                        .where(TurnReceipt.key == key))
        return None if blob is None else self.sealer.open(bytes(blob))

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


class _Rows:
    """The statements of one database and how they reach it."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self.db = store.db

    def open(self, user_key: str) -> AbstractAsyncContextManager[OpenConversation]:
        """The conversation of ``user_key`` for one turn, saved when the block ends."""
        raise NotImplementedError

    async def prefetch(self, user_key: str) -> None:
        """See :meth:`ConversationStore.prefetch`."""


class _PostgresRows(_Rows):
    """PostgreSQL: statements on the driver-level asyncpg pools; first reads and
    one-turn saves of concurrent users group-committed; ``exclusive`` locks the row
    (``SELECT … FOR UPDATE``) until the save."""

    def __init__(self, store: SqlStore) -> None:
        super().__init__(store)
        self._batch: GroupCommit[Save, bool] = GroupCommit(self._save_batch,
                                                             key=lambda s: s.row_id)
        self._find: GroupCommit[str, Any] = GroupCommit(self._find_batch, key=lambda k: k)

    @asynccontextmanager
    async def open(self, user_key: str) -> AsyncIterator[OpenConversation]:
        store = self.store
        pool = await self.db.asyncpg_pool()
        loaded = store.cache.get(user_key)
        if loaded is None:
            row = await self._find.submit(user_key)
            if row is None:
                async with pool.acquire() as pg:
                    row = await pg.fetchrow(PG_SELECT, user_key)
            loaded = store.opened(user_key, row)
        conv = store.conversation(user_key, loaded)
        held: list[Any] = []  # the connection holding the row lock, once exclusive

        async def lock() -> None:
            locks = await self.db.asyncpg_pool("locks")
            pg = await locks.acquire()
            held.append((locks, pg))
            status = await pg.execute(PG_BEGIN_LOCK.format(row_id=loaded.row_id,
                                                           version=loaded.version))
            if status != "SELECT 1":
                raise StaleConversation(f"conversation {loaded.row_id} changed meanwhile")

        conv.lock = lock
        try:
            yield conv
            sealed = store.seal_turn(conv)
            if held:
                await self._save(held[0][1], loaded, conv, sealed)
                await held[0][1].execute("COMMIT")
            else:
                await self._save(None, loaded, conv, sealed)
        finally:
            if held:
                await _release_locked(*held[0])
        store.saved(user_key, loaded, sealed)

    async def prefetch(self, user_key: str) -> None:
        """Create (or read) the row now, batched with other users', and keep it in the
        cache, so the first message is one save instead of a find and a save. (A copy
        made stale meanwhile is caught by the save's version check as usual.)"""
        if user_key in self.store.cache:
            return
        row = await self._find.submit(user_key)
        if row is not None:
            self.store.remember(user_key, self.store.opened(user_key, row))

    async def _find_batch(self, user_keys: list[str]) -> list[Any]:
        """(id, version, state) rows for ``user_keys``, created when missing; None for a
        row created meanwhile by another process."""
        pool = await self.db.asyncpg_pool()
        async with pool.acquire() as pg:
            rows = await pg.fetch(PG_FIND_OR_CREATE, user_keys, self.store.clock.now())
        found = {row[0]: (row[1], row[2], row[3]) for row in rows}
        return [found.get(key) for key in user_keys]

    async def _save_batch(self, saves: list[Save]) -> list[bool]:
        sql, args = pg_save_batch(saves)  # built before a connection is held
        pool = await self.db.asyncpg_pool()
        async with pool.acquire() as pg:
            rows = await pg.fetch(sql, *args)
        saved = {row[0] for row in rows}
        return [s.row_id in saved for s in saves]

    async def _save(self, pg: Any, loaded: Loaded, conv: OpenConversation,
                    sealed: Sealed) -> None:
        now = self.store.clock.now()
        if pg is None and len(sealed.turns) == 1:
            turn, blob = sealed.turns[0]
            if not await self._batch.submit(Save(loaded.row_id, loaded.version,
                                                 sealed.state, conv.state.lang, now,
                                                 turn.flow_id, turn.intent, blob,
                                                 tuple(conv.inserts))):
                raise StaleConversation(f"conversation {loaded.row_id} changed meanwhile")
            return
        if pg is None:
            pool = await self.db.asyncpg_pool()
            async with pool.acquire() as pg:
                await self._save(pg, loaded, conv, sealed)
            return
        if len(sealed.turns) == 1:
            turn, blob = sealed.turns[0]
            args = [loaded.row_id, sealed.state, conv.state.lang, now, turn.flow_id,
                    turn.intent, blob, loaded.version]
            ctes = []
            for i, row in enumerate(conv.inserts):
                ctes.append(f", i{i} AS ({pg_insert(row.table, tuple(row.values), len(args) + 1)}"
                            " FROM saved)")
                args.extend(row.values.values())
            if await pg.fetchval(PG_UPDATE_WITH_TURN.format(inserts="".join(ctes)),
                                 *args) is None:
                raise StaleConversation(f"conversation {loaded.row_id} changed meanwhile")
            return
        # Any other number of turn rows (the engine logs one per message): the row lock's
        # transaction when the turn holds one, else a transaction of its own.
        async with (nullcontext() if pg.is_in_transaction() else pg.transaction()):
            if await pg.fetchval(PG_UPDATE, loaded.row_id, sealed.state, conv.state.lang,
                                 now, loaded.version) is None:
                raise StaleConversation(f"conversation {loaded.row_id} changed meanwhile")
            if sealed.turns:
                await pg.executemany(PG_TURN, [(loaded.row_id, now, t.flow_id, t.intent, b)
                                               for t, b in sealed.turns])
            for row in conv.inserts:
                await pg.execute(pg_insert(row.table, tuple(row.values), 1),
                                 *row.values.values())


class _SqliteRows(_Rows):
    """SQLite in memory (a file is served by :class:`InlineTurn`, see :meth:`SqlStore.open`):
    a pooled aiosqlite connection, since no second connection can see the database."""

    def open(self, user_key: str) -> AbstractAsyncContextManager[OpenConversation]:
        return self._open_pooled(user_key)

    @asynccontextmanager
    async def _open_pooled(self, user_key: str) -> AsyncIterator[OpenConversation]:
        store = self.store
        # No connection is held while the turn runs: its actions need pooled
        # connections of their own (holding one here could drain the pool).
        async with self.db.engine.connect() as conn:
            lite = (await conn.get_raw_connection()).driver_connection
            assert lite is not None  # a checked-out connection always has its driver's
            rows = await lite.execute_fetchall(LITE_SELECT, (user_key,))
            if not rows:
                now = sqlite_time(store.clock.now())
                await lite.execute(LITE_INSERT, (user_key, now, now))
                rows = await lite.execute_fetchall(LITE_SELECT, (user_key,))
        loaded = store.opened(user_key, list(rows)[0])
        conv = store.conversation(user_key, loaded)
        yield conv
        sealed = store.seal_turn(conv)
        now = sqlite_time(store.clock.now())
        async with self.db.write_lock, self.db.engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None  # a checked-out connection always has its driver's
            await raw.execute("BEGIN IMMEDIATE")
            try:
                cursor = await raw.execute(LITE_UPDATE, (sealed.state, conv.state.lang, now,
                                                         loaded.row_id, loaded.version))
                if cursor.rowcount != 1:
                    raise StaleConversation(f"conversation {loaded.row_id} changed meanwhile")
                await raw.executemany(LITE_TURN, [(loaded.row_id, now, t.flow_id, t.intent, b)
                                                  for t, b in sealed.turns])
                for row in conv.inserts:
                    await raw.execute(lite_insert(row.table, tuple(row.values)),
                                      lite_values(row))
            except BaseException:
                await raw.execute("ROLLBACK")
                raise
            await raw.execute("COMMIT")


async def _release_locked(pool: Any, pg: Any) -> None:
    """Return a connection that may still hold the row lock: roll back first, and
    should even that fail (a cancelled turn), drop the connection, never pool it."""
    try:
        if pg.is_in_transaction():
            await pg.execute("ROLLBACK")
    except BaseException:
        pg.terminate()
        raise
    finally:
        await pool.release(pg)
