"""Engine and session factory for SQLite (WAL) or PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.db.ids import LITE_NEXT_BLOCK, PG_NEXT_IDS, IdBlocks
from bot.db.sqlite_inline import CHECKPOINT_SECONDS, checkpoint_wal, inline_write
from bot.db.sqlite_loop import LoopSession, LoopSessions, loop_creator

T = TypeVar("T")
log = logging.getLogger(__name__)

#: SQLSTATEs PostgreSQL uses for conflicts worth retrying (serialization, deadlock).
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
MAX_RETRIES = 8
DEFAULT_POOL_SIZE = 10  #: connections per pool (see ``Settings.database_pool_size``)

#: ``session.info`` key of the work :func:`before_commit` defers (set by ``Database.write``)
BEFORE_COMMIT = "tongguan.before_commit"
W = TypeVar("W", bound="Callable[[AsyncSession], Awaitable[None]]")


def before_commit(session: AsyncSession, key: str, make: Callable[[], W]) -> W | None:
    """The deferred work ``key`` of ``session``'s transaction (an async callable taking
    the session, holding its own state), created once by ``make()`` and awaited just
    before the commit — so locks on hot rows (shared counters)
    are held for the commit only, not for the rest of the transaction. Outside
    ``Database.write`` (no deferral set up) returns None: the caller applies at once."""
    pending = session.info.get(BEFORE_COMMIT)
    if pending is None:
        return None
    for existing_key, work in pending:
        if existing_key == key:
            return work
    work = make()
    pending.append((key, work))
    return work


async def run_before_commit(session: AsyncSession) -> None:
    """Run the work deferred with :func:`before_commit`, in registration order."""
    pending = session.info.pop(BEFORE_COMMIT, None) or []
    for _key, work in pending:
        await work(session)


@dataclass(frozen=True)
class _Failed:
    """One piece of a group-committed inline write that raised."""

    error: Exception


async def _keep_session(_conn: Any) -> None:
    """asyncpg pool reset hook: nothing to reset (see :meth:`Database.asyncpg_pool`)."""


@dataclass
class Database:
    """An engine and its session factory; ``dialect`` is ``sqlite`` or ``postgresql``."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    #: SQLite has one writer at a time: hot-path writers of this process queue here
    #: instead of in SQLite's busy handler, whose sleeps would dominate latency.
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _inline: sqlite3.Connection | None = field(default=None, repr=False)
    pool_size: int = DEFAULT_POOL_SIZE  #: connections per pool (PostgreSQL)
    _inline_group: Any = field(default=None, repr=False)
    _pg_pools: dict[str, Any] = field(default_factory=dict, repr=False)
    _pg_pool_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    _ids: Any = field(default=None, repr=False)
    _checkpoint: Any = field(default=None, repr=False)  #: a running WAL checkpoint
    _checkpointed: float = field(default=0.0, repr=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def dispose(self) -> None:
        if self._checkpoint is not None:
            await asyncio.wait({self._checkpoint})
        if self._inline is not None:
            self._inline.close()
            self._inline = None
        pools, self._pg_pools, self._ids = self._pg_pools, {}, None
        for pool in pools.values():
            await pool.close()
        await self.engine.dispose()

    async def asyncpg_pool(self, purpose: str = "statements") -> Any:
        """This process's driver-level asyncpg pool (PostgreSQL only) for hot-path
        statements that would cost more CPU through SQLAlchemy than the work itself.

        ``purpose`` keeps two kinds of users apart: ``statements`` (short, one at a
        time) and ``locks`` (held across a turn while its actions run statements), so
        lock holders can never take every connection their own actions wait for. The
        lock pool is twice as large: its connections are held for several round trips.
        Connections go back without asyncpg's ``RESET ALL`` round trip: users run plain
        statements and never change session settings; an open transaction is still
        rolled back on release.
        """
        pool = self._pg_pools.get(purpose)
        if pool is None:
            async with self._pg_pool_lock:
                pool = self._pg_pools.get(purpose)
                if pool is None:
                    import asyncpg

                    url = self.engine.url.set(drivername="postgresql")
                    pool = await asyncpg.create_pool(
                        url.render_as_string(hide_password=False), min_size=1,
                        max_size=self.pool_size * (2 if purpose == "locks" else 1),
                        reset=_keep_session)
                    self._pg_pools[purpose] = pool
        return pool

    def pool_use(self) -> dict[str, tuple[int, int]]:
        """Connections of this process by pool: (in use, idle) — SQLAlchemy's pool
        (``orm``) and the driver-level asyncpg pools (``metrics``)."""
        pool: Any = self.engine.pool
        use = {}
        if hasattr(pool, "checkedout"):
            use["orm"] = (pool.checkedout(), pool.checkedin())
        for purpose, pg in self._pg_pools.items():
            idle = pg.get_idle_size()
            use[purpose] = (pg.get_size() - idle, idle)
        return use

    async def next_id(self, table: str) -> int:
        """An id for a row of ``table`` written later (see :mod:`bot.db.ids`)."""
        if self._ids is None:
            self._ids = IdBlocks(self._reserve_ids)
        return await self._ids.next(table)

    async def _reserve_ids(self, table: str, size: int) -> list[int]:
        if self.dialect == "postgresql":
            return [row[0] for row in await (await self.asyncpg_pool()).fetch(
                PG_NEXT_IDS, table, size)]
        sql = LITE_NEXT_BLOCK.format(table=table)
        params = {"name": table, "size": size}
        if self.inline_sqlite() is not None:
            first = await self.write_inline(lambda c: c.execute(sql, params).fetchone()[0])
        else:
            async with self.write() as session:
                first = (await session.execute(sa.text(sql), params)).scalar_one()
        return list(range(first, first + size))

    def inline_sqlite(self) -> sqlite3.Connection | None:
        """This process's plain ``sqlite3`` connection for hot-path statements run on the
        event loop (no thread hop); None for PostgreSQL and in-memory SQLite.

        Its ``busy_timeout`` is 0, so another writer's lock never blocks the event loop:
        callers retry ``SQLITE_BUSY`` after an ``asyncio.sleep`` (:func:`inline_write`).
        """
        if self._inline is not None or self.dialect != "sqlite":
            return self._inline
        path = self.engine.url.database
        if not path or path == ":memory:" or path.startswith("file:"):
            return None
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON",
                       "busy_timeout=0", "wal_autocheckpoint=0"):
            conn.execute("PRAGMA " + pragma)
        self._inline = conn
        return conn

    async def write_inline(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` in a write transaction on the inline connection (SQLite only;
        see :meth:`inline_sqlite`) and return its result.

        Work queued by other callers while a transaction is being written goes into the
        next one together (group commit, :mod:`bot.db.batching`). If a piece raises,
        the transaction is rolled back and run again with each piece in its own
        savepoint: the failing one is rolled back alone and its caller gets the error.
        So ``work`` may run twice (the first run rolled back): it must only touch the
        database and must not await. Never call this while holding :attr:`write_lock`.
        """
        if self._inline_group is None:
            from bot.db.batching import GroupCommit

            self._inline_group = GroupCommit(self._write_inline_batch, max_inflight=1)
        outcome = await self._inline_group.submit(work)
        if isinstance(outcome, _Failed):
            raise outcome.error
        return outcome

    async def _write_inline_batch(self, works: list[Callable[[sqlite3.Connection], Any]]
                                  ) -> list[Any]:
        lite = self.inline_sqlite()
        if lite is None:
            raise RuntimeError("write_inline needs a file-backed SQLite database")

        def run_all(conn: sqlite3.Connection) -> list[Any]:
            return [work(conn) for work in works]

        def run_each(conn: sqlite3.Connection) -> list[Any]:
            out: list[Any] = []
            for work in works:
                conn.execute("SAVEPOINT work")
                try:
                    out.append(work(conn))
                except Exception as err:  # noqa: BLE001 - handed back to its caller
                    conn.execute("ROLLBACK TO work")
                    out.append(_Failed(err))
                conn.execute("RELEASE work")
            return out

        async with self.write_lock:
            try:  # usually nothing fails: no savepoints
                return await inline_write(lite, run_all)
            except Exception:  # noqa: BLE001 - all rolled back: again, each on its own
                return await inline_write(lite, run_each)
            finally:
                self.checkpoint_soon()

    def checkpoint_soon(self) -> None:
        """After a commit on this process's SQLite connections: copy the WAL back into
        the database file (``PRAGMA wal_checkpoint(PASSIVE)``) on a thread, at most
        every :data:`CHECKPOINT_SECONDS`. Those connections never checkpoint on their own
        (``wal_autocheckpoint=0``): SQLite's automatic checkpoint runs inside the commit
        that crosses 1,000 pages, on the event loop, and with its ``fsync`` it stalled
        every request for up to ~0.1 s. A passive checkpoint never blocks a writer."""
        if (self._checkpoint is not None
                or time.monotonic() - self._checkpointed < CHECKPOINT_SECONDS):
            return
        path = self.engine.url.database
        if not path:
            return
        self._checkpointed = time.monotonic()
        self._checkpoint = asyncio.get_running_loop().run_in_executor(
            None, checkpoint_wal, path)
        self._checkpoint.add_done_callback(self._checkpoint_done)

    def _checkpoint_done(self, future: asyncio.Future[None]) -> None:
        self._checkpoint = None
        if not future.cancelled() and future.exception() is not None:
            log.warning("sqlite.checkpoint.failed: %s", future.exception())

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A write transaction; on SQLite it first queues on :attr:`write_lock`. Work
        registered with :func:`before_commit` runs last, just before the commit.

        Never nest two: the lock is not re-entrant.
        """
        if self.dialect == "sqlite":
            async with self.write_lock, self.sessions.begin() as session:
                session.info[BEFORE_COMMIT] = []
                yield session
                await run_before_commit(session)
        else:
            async with self.sessions.begin() as session:
                session.info[BEFORE_COMMIT] = []
                yield session
                await run_before_commit(session)

    async def retrying(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``work`` in one transaction, retrying on serialization failure / SQLITE_BUSY.

        ``work`` must be safe to run again from the start: the failed attempt was rolled
        back whole, so nothing is half-applied.
        """
        for attempt in range(MAX_RETRIES):
            try:
                async with self.write() as session:
                    return await work(session)
            except DBAPIError as err:
                if attempt == MAX_RETRIES - 1 or not is_retryable(err):
                    raise
                await asyncio.sleep(random.uniform(0.002, 0.01) * (2 ** attempt))
        raise AssertionError("unreachable")


def affected_rows(result: Result[Any]) -> int:
    """Rows an ``UPDATE``/``DELETE`` run through ``session.execute`` matched.

    ``execute`` is typed to return a ``Result``; for such statements it is a
    ``CursorResult``, the one that has ``rowcount``."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"not the result of an UPDATE or DELETE: {type(result).__name__}")
    return result.rowcount


def is_retryable(err: DBAPIError) -> bool:
    """True for conflicts a fresh attempt may pass: serialization, deadlock, SQLite busy."""
    orig = getattr(err, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "__cause__", None),
                                                      "sqlstate", None)
    if code in RETRYABLE_SQLSTATES:
        return True
    return isinstance(err, OperationalError) and "locked" in str(err).lower()


def make_database(url: str, *, echo: bool = False,
                  pool_size: int = DEFAULT_POOL_SIZE) -> Database:
    """Create the engine for ``url``; SQLite gets WAL, a busy timeout and foreign keys."""
    if url.startswith("sqlite"):
        path = sa.make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            # Statements on the event loop, not on aiosqlite's threads: a transaction
            # holds SQLite's write lock only while it runs (bot/db/sqlite_loop.py).
            engine = create_async_engine(url, echo=echo, async_creator=loop_creator(path))
            in_loop, busy_ms = True, 0  # a lock held elsewhere is waited for with asyncio.sleep
        else:
            engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
            in_loop, busy_ms = False, 30000

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={busy_ms:d}")
            if in_loop:  # checkpoints on a thread instead (Database.checkpoint_soon)
                cur.execute("PRAGMA wal_autocheckpoint=0")
            cur.close()
            # Take transaction control from the driver (SQLAlchemy's documented recipe
            # for pysqlite/aiosqlite), so the "begin" hook below decides how to BEGIN.
            dbapi_conn.isolation_level = None

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: sa.Connection) -> None:
            # The driver's own transaction handling is off (isolation_level=None above);
            # BEGIN IMMEDIATE takes the write lock up front, so two writers queue (on the
            # busy retry) instead of failing late with SQLITE_BUSY on upgrade.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        in_loop = False
        engine = create_async_engine(url, echo=echo, pool_size=pool_size,
                                     max_overflow=pool_size, pool_pre_ping=False)
    sessions = (LoopSessions(engine, class_=LoopSession, expire_on_commit=False)
                if in_loop else async_sessionmaker(engine, expire_on_commit=False))
    db = Database(engine=engine, sessions=sessions, pool_size=pool_size)
    if in_loop:
        @event.listens_for(engine.sync_engine, "commit")
        def _checkpoint_later(_conn: sa.Connection) -> None:
            asyncio.get_running_loop().call_soon(db.checkpoint_soon)
    return db
