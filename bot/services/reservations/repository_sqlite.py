"""The reservation engine's SQL on SQLite (see :mod:`.repository`).

SQLite has one writer and no network (and no data-modifying CTEs): a hold is a few
microsecond-scale fixed statements, as many as before binding and rolling windows: the
binding check is a condition of the person's quota upsert (told apart from the limit
only when that upsert is refused). On its own it runs on this process's plain
``sqlite3`` connection to the database (``Database.inline_sqlite``: WAL,
``synchronous=NORMAL``) as ``BEGIN IMMEDIATE … COMMIT`` inline on the event loop, never
awaiting inside the transaction; in the caller's transaction, in one hop to the driver's
thread. The inline connection's ``busy_timeout`` is 0 so another process's write lock
never blocks the event loop: ``SQLITE_BUSY`` is retried after an ``asyncio.sleep``. (A
WAL checkpoint at commit may still take a few milliseconds now and then.) There are no
row locks: this process's writers queue on one lock instead.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import weakref
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.db.sqlite_inline import sqlite_time
from bot.services.reservations.repository import (
    HOUSEHOLD_KEY,
    Conn,
    SupplyRepository,
    Taken,
    ops_reserved,
)

RETRIES = 60  #: ~ several seconds of backoff in all, like the engine's busy timeout

#: a quota row met again (the SQL of ``repository_postgres.ROLL``): a new window once
#: ``since`` is ``limit_days`` behind (``:cutoff``), else the units added within ``:lim``
ROLL = ("ON CONFLICT (subject, product_id) DO UPDATE SET "
        "period = CASE WHEN since <= :cutoff THEN excluded.period ELSE period END, "
        "since = CASE WHEN since <= :cutoff THEN excluded.since ELSE since END, "
        "used = CASE WHEN since <= :cutoff THEN excluded.used ELSE used + excluded.used END "
        "WHERE since <= :cutoff OR used + excluded.used <= :lim")
#: "for myself": the identity's own bound ID; a proxy: a dependant bound to nobody
BOUND = ("(:trusted OR EXISTS (SELECT 1 FROM health_subjects s WHERE s.id_index = :person "
         "AND CASE WHEN :proxy THEN s.bound_key IS NULL AND EXISTS (SELECT 1 FROM "
         "health_dependants d WHERE d.owner_key = :user_key AND d.subject = s.subject) "
         "ELSE s.bound_key = :user_key END))")
#: the person's quota, only for a person this identity may reserve for (no row: refused
#: by the binding or the limit; :data:`IS_BOUND` tells which, on that path only)
QUOTA = ("INSERT INTO supply_quotas (subject, product_id, period, since, used) "
         "SELECT :person, :pid, :day, :day, :qty WHERE " + BOUND + " " + ROLL)
IS_BOUND = "SELECT " + BOUND
#: the person counted in their household's current window (a row: new or counted again)
HOUSEHOLD = ("INSERT INTO supply_households (account_key, product_id, period, person_key) "
             "SELECT " + HOUSEHOLD_KEY + ", :pid, :day, :person WHERE true "
             "ON CONFLICT (account_key, product_id, person_key) DO UPDATE SET "
             "period = excluded.period WHERE supply_households.period < COALESCE(("
             "SELECT h.period FROM supply_quotas h WHERE h.subject = 'hh:' || "
             "excluded.account_key AND h.product_id = excluded.product_id "
             "AND h.since > :cutoff), excluded.period)")
#: one more person in the household's window
HOUSEHOLD_QUOTA = ("INSERT INTO supply_quotas (subject, product_id, period, since, used) "
                   "SELECT 'hh:' || " + HOUSEHOLD_KEY + ", :pid, :day, :day, 1 WHERE true "
                   + ROLL)
PRIORITY = ("SELECT 1 FROM supply_priority WHERE person_key = ? AND \"group\" IN "
            "(SELECT value FROM json_each(?)) LIMIT 1")
TAKE = ("UPDATE supply_releases SET remaining = remaining - :qty, updated_at = :now, "
        "priority_left = CASE WHEN :prio THEN max(priority_left - :qty, 0) "
        "ELSE priority_left END WHERE id = :rid "
        "AND (SELECT active FROM supply_stores WHERE id = supply_releases.store_id) "
        "AND remaining - CASE WHEN :keep AND NOT :prio THEN priority_left ELSE 0 END "
        ">= :qty")
RESERVATION = ("INSERT INTO supply_reservations (public_id, release_id, person_key, "
               "account_key, channel, user_id, quantity, period, name_sealed, code_hash, "
               "code_sealed, status, window_start, window_end, reminded, created_at) VALUES "
               "(:public_id, :rid, :person, :acct, :channel, :user_id, :qty, :day, "
               ":name_sealed, :code_hash, :code_sealed, 'active', :window_start, :window_end, "
               "0, :now)")
SLOT = ("SELECT r.id, s.code, s.name FROM supply_releases r JOIN supply_stores s "
        "ON s.id = r.store_id WHERE s.code = ? AND s.active AND r.product_id = ? AND r.day = ?")
ACTIVE = "SELECT active FROM supply_stores WHERE code = ?"
#: the hold's count for the operations view
OPS_RESERVED = ops_reserved(":now")


def take_sync(db: sqlite3.Connection, p: dict[str, Any], groups: list[str]) -> Taken:
    """Every step of a hold on ``db``, in the transaction already open there."""
    day, cutoff = p["day"].isoformat(), p["cutoff"].isoformat()
    who = {"person": p["person"], "pid": p["pid"], "day": day, "cutoff": cutoff}
    bound = {"trusted": bool(p["trusted"]), "proxy": bool(p["proxy"]),
             "user_key": p["user_key"], "person": p["person"]}
    if db.execute(QUOTA, {**who, **bound, "qty": p["qty"], "lim": p["lim"]}).rowcount != 1:
        if not db.execute(IS_BOUND, bound).fetchone()[0]:
            return Taken(False, False, False, False)
        return Taken(True, False, False, False)
    if db.execute(HOUSEHOLD, {**who, "acct": p["acct"]}).rowcount == 1:
        cur = db.execute(HOUSEHOLD_QUOTA, {**who, "acct": p["acct"], "lim": p["hlim"]})
        if cur.rowcount != 1:
            return Taken(True, True, False, False)
    prio = bool(p["prio"])
    if not prio and groups:
        prio = db.execute(PRIORITY, (p["person"], json.dumps(groups))).fetchone() is not None
    now = sqlite_time(p["now"])
    cur = db.execute(TAKE, {"qty": p["qty"], "now": now, "prio": prio, "rid": p["rid"],
                            "keep": bool(p["keep"])})
    if cur.rowcount != 1:
        return Taken(True, True, True, False)
    db.execute(RESERVATION, {
        **{k: p[k] for k in ("public_id", "rid", "person", "acct", "channel", "user_id", "qty",
                             "name_sealed", "code_hash", "code_sealed")},
        "day": day, "window_start": sqlite_time(p["window_start"]),
        "window_end": sqlite_time(p["window_end"]), "now": now})
    db.execute(OPS_RESERVED, {"now": now, "rid": p["rid"]})
    return Taken(True, True, True, True)


def hold_sync(db: sqlite3.Connection, p: dict[str, Any], groups: list[str]) -> Taken:
    """The hold as one transaction on ``db``: committed only if every step applied."""
    db.execute("BEGIN IMMEDIATE")
    try:
        taken = take_sync(db, p, groups)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT" if taken.held else "ROLLBACK")
    return taken


async def hold_inline(conn: sqlite3.Connection, p: dict[str, Any], groups: list[str]) -> Taken:
    """One transaction, inline; waits (asynchronously) while another writer holds the lock."""
    for attempt in range(RETRIES):
        try:
            return hold_sync(conn, p, groups)
        except sqlite3.OperationalError as err:
            text = str(err).lower()
            if attempt == RETRIES - 1 or ("locked" not in text and "busy" not in text):
                raise
            await asyncio.sleep(random.uniform(0.0005, 0.002) * min(2 ** attempt, 64))
    raise AssertionError("unreachable")


_LOCKS: dict[int, asyncio.Lock] = {}


def _busy(err: BaseException) -> bool:
    return isinstance(err, sqlite3.OperationalError) and (
        "locked" in str(err).lower() or "busy" in str(err).lower())


class SqliteSupplyRepository(SupplyRepository):
    """The reservation engine's statements on SQLite."""

    conflicts = (*SupplyRepository.conflicts, sqlite3.OperationalError)

    def insert(self, table: Any) -> Any:
        return sqlite_insert(table)

    def for_update(self, query: sa.Select, *, skip_locked: bool = False,
                   of: Any = None) -> sa.Select:
        return query  # one writer at a time: nothing to lock

    async def get_for_update(self, session: AsyncSession, model: Any, key: Any) -> Any:
        return await session.get(model, key, with_for_update=False)

    def can_hold_alone(self) -> bool:
        return self.db.inline_sqlite() is not None  # not for in-memory databases

    def _inline(self) -> sqlite3.Connection:
        conn = self.db.inline_sqlite()
        if conn is None:
            raise RuntimeError("a hold on its own needs a file-backed SQLite database")
        return conn

    async def find_slot(self, conn: Conn, code: str, product_id: int, day: date) -> Any:
        if conn is not None:
            return await super().find_slot(conn, code, product_id, day)
        # A plain read on the inline connection: no write lock taken.
        return self._inline().execute(SLOT, (code, product_id, day.isoformat())).fetchone()

    async def store_active(self, conn: Conn, code: str) -> bool:
        if conn is not None:
            return await super().store_active(conn, code)
        row = self._inline().execute(ACTIVE, (code,)).fetchone()
        return bool(row and row[0])

    async def read_one(self, conn: Conn, stmt: sa.TextClause, params: dict[str, Any]) -> Any:
        if conn is not None:
            return await super().read_one(conn, stmt, params)
        return self._inline().execute(str(stmt), params).fetchone()

    async def take(self, conn: AsyncConnection | None, p: dict[str, Any],
                   groups: list[str]) -> Taken:
        if conn is None:
            return await hold_inline(self._inline(), p, groups)
        # All steps in one hop to the driver's thread (aiosqlite runs one function per hop).
        drv: Any = (await conn.get_raw_connection()).driver_connection
        return await drv._execute(take_sync, drv._conn, p, groups)  # noqa: SLF001

    def _writer_lock(self) -> asyncio.Lock:
        """Queue this process's writers here instead of on SQLite's busy timeout."""
        key = id(self.db.engine)
        lock = _LOCKS.get(key)
        if lock is None:
            lock = _LOCKS[key] = asyncio.Lock()
            weakref.finalize(self.db.engine, _LOCKS.pop, key, None)  # ids are reused after GC
        return lock

    def _retryable(self, err: BaseException) -> bool:
        return super()._retryable(err) or _busy(err)
