"""The hot path: one hold in as few statements (and round trips) as the database allows.

PostgreSQL runs one statement, a chain of data-modifying CTEs: person quota upsert →
household member → account quota → stock decrement → reservation row, each step only
applying if the previous ones did. SQLite (no data-modifying CTEs, but no network
either) runs the same steps as fixed statements (``lite``): inline when the hold is the
whole transaction, else in one hop to the driver's thread. Either way the caller raises
on any refused step, which rolls the whole transaction back.

Statements are module-level constants: SQLAlchemy keeps their compiled form, asyncpg its
prepared statement, so each hold costs no SQL building.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.database import MAX_RETRIES, Database, is_retryable
from bot.services.reservations import lite
from bot.services.reservations.lite import Taken

T = TypeVar("T")

_PG_CTE = """
WITH q AS (
  INSERT INTO supply_quotas AS t (subject, product_id, period, used)
  VALUES (:person, :pid, :period, :qty)
  ON CONFLICT (subject, product_id, period) DO UPDATE SET used = t.used + :qty
  WHERE t.used + :qty <= :lim
  RETURNING 1
), h AS (
  INSERT INTO supply_households (account_key, product_id, period, person_key)
  SELECT CAST(:acct AS VARCHAR), CAST(:pid AS INTEGER), CAST(:period AS DATE),
         CAST(:person AS VARCHAR)
  WHERE EXISTS (SELECT 1 FROM q)
  ON CONFLICT DO NOTHING RETURNING 1
), a AS (
  INSERT INTO supply_quotas AS t (subject, product_id, period, used)
  SELECT CAST(:acct_subject AS VARCHAR), CAST(:pid AS INTEGER), CAST(:period AS DATE), 1
  WHERE EXISTS (SELECT 1 FROM h)
  ON CONFLICT (subject, product_id, period) DO UPDATE SET used = t.used + 1
  WHERE t.used + 1 <= :hlim
  RETURNING 1
), p AS (
  SELECT CAST(:prio AS BOOLEAN) OR EXISTS (
    SELECT 1 FROM supply_priority WHERE person_key = :person
    AND "group" = ANY(CAST(:groups AS VARCHAR[]))) AS prio
), r AS (
  UPDATE supply_releases AS s SET remaining = s.remaining - :qty, updated_at = :now,
    priority_left = CASE WHEN (SELECT prio FROM p) THEN GREATEST(s.priority_left - :qty, 0)
                         ELSE s.priority_left END
  WHERE s.id = :rid AND EXISTS (SELECT 1 FROM q)
    AND (NOT EXISTS (SELECT 1 FROM h) OR EXISTS (SELECT 1 FROM a))
    AND EXISTS (SELECT 1 FROM supply_stores WHERE id = s.store_id AND active)
    AND s.remaining - CASE WHEN CAST(:keep AS BOOLEAN) AND NOT (SELECT prio FROM p)
                           THEN s.priority_left ELSE 0 END >= :qty
  RETURNING 1
), ins AS (
  INSERT INTO supply_reservations (public_id, release_id, person_key, account_key, channel,
    user_id, quantity, period, name_sealed, code_hash, code_sealed, status, window_start,
    window_end, reminded, created_at)
  SELECT CAST(:public_id AS VARCHAR), CAST(:rid AS INTEGER), CAST(:person AS VARCHAR),
    CAST(:acct AS VARCHAR), CAST(:channel AS VARCHAR), CAST(:user_id AS VARCHAR),
    CAST(:qty AS INTEGER), CAST(:period AS DATE), CAST(:name_sealed AS BYTEA),
    CAST(:code_hash AS VARCHAR), CAST(:code_sealed AS BYTEA), 'active',
    CAST(:window_start AS TIMESTAMPTZ), CAST(:window_end AS TIMESTAMPTZ), false,
    CAST(:now AS TIMESTAMPTZ)
  WHERE EXISTS (SELECT 1 FROM r)
  RETURNING 1
)"""
_PG_HOLD = sa.text(_PG_CTE + """
SELECT EXISTS (SELECT 1 FROM q), EXISTS (SELECT 1 FROM h), EXISTS (SELECT 1 FROM a),
       EXISTS (SELECT 1 FROM ins)""")
#: As its own (autocommit) transaction: a refused step makes the statement fail (a cast
#: error naming the step), so nothing of it is kept, and the hot row's lock is released
#: by the server's commit without waiting for another round trip.
REFUSED = "tongguan-refused:"
_PG_ALONE = sa.text(_PG_CTE + f"""
SELECT CASE WHEN EXISTS (SELECT 1 FROM ins) THEN 1 ELSE CAST('{REFUSED}' || CASE
  WHEN NOT EXISTS (SELECT 1 FROM q) THEN 'limit'
  WHEN EXISTS (SELECT 1 FROM h) AND NOT EXISTS (SELECT 1 FROM a) THEN 'household'
  ELSE 'stock' END AS INTEGER) END""")

async def take(conn: AsyncConnection, dialect: str, p: dict[str, Any],
               groups: list[str]) -> Taken:
    """Apply the hold described by ``p`` (see ``holds.place_hold``) on ``conn``."""
    if dialect == "postgresql":
        row = (await conn.execute(_PG_HOLD, {**p, "groups": groups})).one()
        q, h, a, ins = row
        return Taken(q, (not h) or a, ins)
    drv = (await conn.get_raw_connection()).driver_connection
    return await _take_lite(drv, p, groups)


async def _take_lite(drv: Any, p: dict[str, Any], groups: list[str]) -> Taken:
    """All steps in one hop to the driver's thread (aiosqlite runs one function per hop)."""
    return await drv._execute(lite.take_sync, drv._conn, p, groups)  # noqa: SLF001


async def hold_alone(db: Database, p: dict[str, Any], groups: list[str]) -> Taken:
    """PostgreSQL: the hold as one autocommit statement (one round trip), all or nothing."""
    for attempt in range(MAX_RETRIES):
        try:
            async with db.engine.connect() as conn:
                auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await auto.execute(_PG_ALONE, {**p, "groups": groups})
                return Taken(True, True, True)
        except DBAPIError as err:
            text = str(err.orig)
            if REFUSED in text:
                step = text.split(REFUSED, 1)[1]
                return Taken(not step.startswith("limit"),
                             not step.startswith(("limit", "household")), False)
            if attempt == MAX_RETRIES - 1 or not is_retryable(err):
                raise
            await asyncio.sleep(random.uniform(0.002, 0.01) * (2 ** attempt))
    raise AssertionError("unreachable")


_LOCKS: dict[int, asyncio.Lock] = {}


def _writer_lock(db: Database) -> asyncio.Lock | None:
    """SQLite has one writer: queue this process's writers here instead of on busy_timeout."""
    if db.dialect != "sqlite":
        return None
    key = id(db.engine)
    lock = _LOCKS.get(key)
    if lock is None:
        lock = _LOCKS[key] = asyncio.Lock()
        weakref.finalize(db.engine, _LOCKS.pop, key, None)  # ids are reused after GC
    return lock


def _retryable(err: BaseException) -> bool:
    if isinstance(err, DBAPIError):
        return is_retryable(err)
    return isinstance(err, sqlite3.OperationalError) and (
        "locked" in str(err).lower() or "busy" in str(err).lower())


async def in_transaction(db: Database, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """Run ``work`` in one Core transaction; conflicts roll it back whole and run it again."""
    lock = _writer_lock(db)
    for attempt in range(MAX_RETRIES):
        try:
            if lock is None:
                async with db.engine.begin() as conn:
                    return await work(conn)
            async with lock, db.engine.begin() as conn:
                return await work(conn)
        except (DBAPIError, sqlite3.OperationalError) as err:
            if attempt == MAX_RETRIES - 1 or not _retryable(err):
                raise
            await asyncio.sleep(random.uniform(0.002, 0.01) * (2 ** attempt))
    raise AssertionError("unreachable")
