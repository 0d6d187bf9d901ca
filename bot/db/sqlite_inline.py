"""The plain ``sqlite3`` side of :class:`bot.db.database.Database`: the transaction the
inline connection's group commit runs (``BEGIN IMMEDIATE`` … ``COMMIT``, waiting out
another writer without blocking the event loop), the WAL checkpoint run on a thread, and
the timestamps those statements store."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

T = TypeVar("T")

CHECKPOINT_SECONDS = 1.0  #: at most one WAL checkpoint a second (see checkpoint_soon)


def checkpoint_wal(path: str) -> None:
    """A passive WAL checkpoint of the SQLite file at ``path`` (run on a thread)."""
    conn = sqlite3.connect(path, timeout=5, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        conn.close()


def sqlite_time(moment: datetime) -> str:
    """A datetime as SQLAlchemy stores it in SQLite (naive UTC text with microseconds,
    ``YYYY-MM-DD HH:MM:SS.ffffff``), for statements run on the inline connection.
    ``isoformat`` (cut before the ``+00:00``) rather than ``strftime``: half the CPU,
    and several of these run in every chat turn."""
    return moment.astimezone(UTC).isoformat(" ", "microseconds")[:26]


INLINE_RETRIES = 3000  #: with the short sleeps below, several seconds in all


async def inline_write(conn: sqlite3.Connection,
                       work: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``work`` in ``BEGIN IMMEDIATE … COMMIT`` on an inline connection, waiting
    (asynchronously) while another connection holds SQLite's write lock. ``work`` must
    not await: the whole transaction runs without yielding the event loop."""
    for attempt in range(INLINE_RETRIES):
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            text = str(err).lower()
            if attempt == INLINE_RETRIES - 1 or ("locked" not in text and "busy" not in text):
                raise
            # Short sleeps: the other writer is usually done within a millisecond, and
            # this caller holds the process's write lock while it waits.
            await asyncio.sleep(random.uniform(0.0002, 0.001) * min(attempt + 1, 4))
            continue
        try:
            result = work(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result
    raise AssertionError("unreachable")


