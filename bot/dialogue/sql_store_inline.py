"""One turn's conversation on SQLite's inline connection, as one flat context manager.

``SqlStore.open`` on a SQLite file: the per-user lock, the load (this process's cached
copy, else the row, created when missing) and, when the turn ends cleanly, the save
(the conditional ``UPDATE``, the turn rows and the turn's other inserts),
group-committed with the process's other inline writes. Statements run on the event
loop: reads never wait in WAL mode; the write queues on the process's write lock, then
on SQLite's (asynchronously). ``exclusive`` re-reads the version (one process).

A class rather than ``@asynccontextmanager`` generators: the three nested ones this
replaces (lock, cache eviction, load/save) cost about 6 µs a turn, this one about 1.
"""

from __future__ import annotations

import asyncio
import sqlite3
from types import TracebackType
from typing import TYPE_CHECKING

from bot.db.sqlite_inline import sqlite_time
from bot.dialogue.sql_store_statements import (
    LITE_INSERT,
    LITE_SELECT,
    LITE_TURN,
    LITE_UPDATE,
    LITE_VERSION,
    lite_insert,
    lite_values,
)
from bot.dialogue.store import OpenConversation, StaleConversation

if TYPE_CHECKING:
    from bot.dialogue.sql_store_core import Loaded, StoreCore


class InlineTurn:
    """``async with InlineTurn(store, lite, user_key) as conv:`` (see the module)."""

    __slots__ = ("_store", "_lite", "_user_key", "_lock", "_loaded", "_conv")

    def __init__(self, store: StoreCore, lite: sqlite3.Connection, user_key: str) -> None:
        self._store = store
        self._lite = lite
        self._user_key = user_key
        self._lock: asyncio.Lock | None = None
        self._loaded: Loaded | None = None
        self._conv: OpenConversation | None = None

    async def __aenter__(self) -> OpenConversation:
        store, user_key = self._store, self._user_key
        self._lock = await store.locks.acquire(user_key)
        try:
            return await self._load()
        except BaseException:  # whatever failed, the next turn reads the row afresh
            store.cache.pop(user_key, None)
            store.locks.release(user_key, self._lock)
            raise

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        store, user_key = self._store, self._user_key
        assert self._lock is not None  # entered
        try:
            if exc_type is not None:  # the turn failed: nothing is saved
                store.cache.pop(user_key, None)
                return
            try:
                await self._save()
            except BaseException:
                store.cache.pop(user_key, None)
                raise
        finally:
            store.locks.release(user_key, self._lock)

    async def _load(self) -> OpenConversation:
        store, lite, user_key = self._store, self._lite, self._user_key
        loaded = store.cache.get(user_key)
        if loaded is None:
            rows = lite.execute(LITE_SELECT, (user_key,)).fetchall()
            if not rows:
                now = sqlite_time(store.clock.now())
                await store.db.write_inline(lambda c: c.execute(LITE_INSERT,
                                                                (user_key, now, now)))
                rows = lite.execute(LITE_SELECT, (user_key,)).fetchall()
            loaded = store.opened(user_key, rows[0])
        self._loaded = loaded
        conv = self._conv = store.conversation(user_key, loaded)
        row_id, version = loaded.row_id, loaded.version

        async def lock() -> None:
            if lite.execute(LITE_VERSION, (row_id,)).fetchone()[0] != version:
                raise StaleConversation(f"conversation {row_id} changed meanwhile")

        conv.lock = lock
        return conv

    async def _save(self) -> None:
        store, conv, loaded = self._store, self._conv, self._loaded
        assert conv is not None and loaded is not None  # loaded in __aenter__
        sealed = store.seal_turn(conv)
        now = sqlite_time(store.clock.now())
        row_id, version = loaded.row_id, loaded.version

        def save(c: sqlite3.Connection) -> None:
            cursor = c.execute(LITE_UPDATE, (sealed.state, conv.state.lang, now,
                                             row_id, version))
            if cursor.rowcount != 1:
                raise StaleConversation(f"conversation {row_id} changed meanwhile")
            c.executemany(LITE_TURN, [(row_id, now, t.flow_id, t.intent, b)
                                      for t, b in sealed.turns])
            for row in conv.inserts:
                c.execute(lite_insert(row.table, tuple(row.values)), lite_values(row))

        await store.db.write_inline(save)
        store.saved(self._user_key, loaded, sealed)
