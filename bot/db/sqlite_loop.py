"""SQLAlchemy's SQLite connections on the event loop: aiosqlite without its thread.

aiosqlite runs each statement on a thread of its own and hands the result back to the
event loop, so every statement of a transaction waits for a turn of the loop. Under load
a turn of the loop is long (tens of milliseconds with 200 requests in flight), and a
transaction holds SQLite's one write lock across all of its turns: a background job's
four-statement transaction kept every chat turn from committing for 0.1–0.5 s, and the
turns' writer polled for the lock (sleep, retry) while the job's thread waited in
SQLite's own busy handler — not first come, first served (issue 18, docs/benchmarks.md).

Here the statements run at once on the calling thread, as the hot path's inline
connection does (:meth:`bot.db.database.Database.inline_sqlite`): a transaction of
plain statements runs to its commit without giving the loop away, so it holds the lock
only for its own CPU time. SQLAlchemy's async sessions close (and so commit or roll
back) in a task of their own, shielded from cancellation, which costs a turn of the loop
with the lock still held: :class:`LoopSession` and :class:`LoopSessions` close in place
instead (nothing they run on these connections can be interrupted: it never waits).
SQLite's busy timeout is 0 on these connections (a lock held
by another process must never block the loop): a statement refused as busy is retried
after an ``asyncio.sleep``, for up to :data:`BUSY_SECONDS` in all.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Generator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

BUSY_SECONDS = 30.0  #: how long a statement waits for another process's write lock


class _RunNow:
    """aiosqlite's work queue, except that each piece of work runs as it is queued."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as err:  # noqa: BLE001 - handed to the waiting caller
            if future is not None:
                future.set_exception(err)
            return
        if future is not None:
            future.set_result(result)


def is_busy(err: sqlite3.OperationalError) -> bool:
    text = str(err).lower()
    return "locked" in text or "busy" in text


class LoopConnection(aiosqlite.Connection):
    """An aiosqlite connection whose statements run on the caller's thread."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunNow()  # type: ignore[assignment]  # only put_nowait is used

    def __await__(self) -> Generator[Any, None, aiosqlite.Connection]:
        return self._connect().__await__()  # no thread to start

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + BUSY_SECONDS
        attempt = 0
        while True:
            try:
                return await super()._execute(fn, *args, **kwargs)
            except sqlite3.OperationalError as err:
                # SQLITE_BUSY leaves the statement unrun: running it again is safe
                if not is_busy(err) or time.monotonic() > deadline:
                    raise
            attempt += 1
            await asyncio.sleep(random.uniform(0.0002, 0.001) * min(attempt, 8))


def loop_creator(path: str) -> Callable[[], Any]:
    """``create_async_engine(async_creator=…)`` for the SQLite file at ``path``."""

    async def connect() -> aiosqlite.Connection:
        return await LoopConnection(partial(sqlite3.connect, path, timeout=0,
                                            check_same_thread=False))

    return connect


class LoopSession(AsyncSession):
    """An async session that closes in place when its ``async with`` block ends."""

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        await self.close()


class LoopSessions(async_sessionmaker[AsyncSession]):
    """A session factory whose ``begin()`` commits and closes in place."""

    @asynccontextmanager  # used as the base's: async with sessions.begin() as session
    async def begin(self) -> AsyncIterator[AsyncSession]:  # type: ignore[override]
        async with self() as session, session.begin():
            yield session
