"""The reservation engine's SQL on PostgreSQL (see :mod:`.repository`).

A hold is one statement, a chain of data-modifying CTEs: binding check → person quota
upsert (rolling window) → household member → household quota → stock decrement →
reservation row → its count for the operations view, each step only applying if the
previous ones did. On its own it is one autocommit round trip (:data:`HOLD_ALONE`). Rows
read to be changed are locked (``SELECT … FOR UPDATE``), so several server processes can
share the work.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.db.database import MAX_RETRIES, is_retryable
from bot.services.reservations.repository import (
    ACTIVE,
    HOUSEHOLD_KEY,
    SLOT,
    Conn,
    SupplyRepository,
    Taken,
    ops_reserved,
)

#: the rolling window of a quota row ``t`` met again: a new window once ``since`` is
#: ``limit_days`` behind (``:cutoff``), else the units added (the ``WHERE`` bounds them)
ROLL = """
    period = CASE WHEN t.since <= :cutoff THEN EXCLUDED.period ELSE t.period END,
    since = CASE WHEN t.since <= :cutoff THEN EXCLUDED.since ELSE t.since END,
    used = CASE WHEN t.since <= :cutoff THEN EXCLUDED.used ELSE t.used + EXCLUDED.used END"""

HOLD_CTE = """
WITH b AS (
  SELECT 1 WHERE CAST(:trusted AS BOOLEAN) OR EXISTS (
    SELECT 1 FROM health_subjects s WHERE s.id_index = :person AND CASE
      WHEN CAST(:proxy AS BOOLEAN) THEN s.bound_key IS NULL AND EXISTS (
        SELECT 1 FROM health_dependants d WHERE d.owner_key = :user_key
        AND d.subject = s.subject)
      ELSE s.bound_key = :user_key END)
), q AS (
  INSERT INTO supply_quotas AS t (subject, product_id, period, since, used)
  SELECT CAST(:person AS VARCHAR), CAST(:pid AS INTEGER), CAST(:day AS DATE),
         CAST(:day AS DATE), CAST(:qty AS INTEGER)
  WHERE EXISTS (SELECT 1 FROM b)
  ON CONFLICT (subject, product_id) DO UPDATE SET""" + ROLL + """
  WHERE t.since <= :cutoff OR t.used + EXCLUDED.used <= :lim
  RETURNING 1
), m AS (
  INSERT INTO supply_households AS hm (account_key, product_id, period, person_key)
  SELECT """ + HOUSEHOLD_KEY + """, CAST(:pid AS INTEGER), CAST(:day AS DATE),
         CAST(:person AS VARCHAR)
  WHERE EXISTS (SELECT 1 FROM q)
  ON CONFLICT (account_key, product_id, person_key) DO UPDATE SET period = EXCLUDED.period
  WHERE hm.period < COALESCE((SELECT h.period FROM supply_quotas h
    WHERE h.subject = 'hh:' || EXCLUDED.account_key AND h.product_id = EXCLUDED.product_id
    AND h.since > :cutoff), EXCLUDED.period)
  RETURNING account_key
), a AS (
  INSERT INTO supply_quotas AS t (subject, product_id, period, since, used)
  SELECT 'hh:' || m.account_key, CAST(:pid AS INTEGER), CAST(:day AS DATE),
         CAST(:day AS DATE), 1 FROM m
  ON CONFLICT (subject, product_id) DO UPDATE SET""" + ROLL + """
  WHERE t.since <= :cutoff OR t.used + 1 <= :hlim
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
    AND (NOT EXISTS (SELECT 1 FROM m) OR EXISTS (SELECT 1 FROM a))
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
    CAST(:qty AS INTEGER), CAST(:day AS DATE), CAST(:name_sealed AS BYTEA),
    CAST(:code_hash AS VARCHAR), CAST(:code_sealed AS BYTEA), 'active',
    CAST(:window_start AS TIMESTAMPTZ), CAST(:window_end AS TIMESTAMPTZ), false,
    CAST(:now AS TIMESTAMPTZ)
  WHERE EXISTS (SELECT 1 FROM r)
  RETURNING 1
), ops AS (
  """ + ops_reserved("CAST(:now AS TIMESTAMPTZ)") + """ AND EXISTS (SELECT 1 FROM ins)
)"""
#: In the caller's transaction: which steps applied.
HOLD = sa.text(HOLD_CTE + """
SELECT EXISTS (SELECT 1 FROM b), EXISTS (SELECT 1 FROM q), EXISTS (SELECT 1 FROM m),
       EXISTS (SELECT 1 FROM a), EXISTS (SELECT 1 FROM ins)""")
#: As its own (autocommit) transaction: a refused step makes the statement fail (a cast
#: error naming the step), so nothing of it is kept, and the hot row's lock is released
#: by the server's commit without waiting for another round trip.
REFUSED = "tongguan-refused:"
HOLD_ALONE = sa.text(HOLD_CTE + f"""
SELECT CASE WHEN EXISTS (SELECT 1 FROM ins) THEN 1 ELSE CAST('{REFUSED}' || CASE
  WHEN NOT EXISTS (SELECT 1 FROM b) THEN 'binding'
  WHEN NOT EXISTS (SELECT 1 FROM q) THEN 'limit'
  WHEN EXISTS (SELECT 1 FROM m) AND NOT EXISTS (SELECT 1 FROM a) THEN 'household'
  ELSE 'stock' END AS INTEGER) END""")
#: the refused step → which steps applied
STEPS = {"binding": Taken(False, False, False, False),
         "limit": Taken(True, False, False, False),
         "household": Taken(True, True, False, False)}


class PostgresSupplyRepository(SupplyRepository):
    """The reservation engine's statements on PostgreSQL."""

    def insert(self, table: Any) -> Any:
        return pg_insert(table)

    def for_update(self, query: sa.Select, *, skip_locked: bool = False,
                   of: Any = None) -> sa.Select:
        return query.with_for_update(skip_locked=skip_locked, of=of)

    async def get_for_update(self, session: AsyncSession, model: Any, key: Any) -> Any:
        return await session.get(model, key, with_for_update=True)

    def can_hold_alone(self) -> bool:
        return True

    async def find_slot(self, conn: Conn, code: str, product_id: int, day: Any) -> Any:
        if conn is not None:
            return await super().find_slot(conn, code, product_id, day)
        async with self.db.engine.connect() as own:  # released before the hold takes one
            return (await own.execute(SLOT, {"code": code, "pid": product_id,
                                             "day": day})).first()

    async def store_active(self, conn: Conn, code: str) -> bool:
        if conn is not None:
            return await super().store_active(conn, code)
        async with self.db.engine.connect() as own:
            return bool((await own.execute(ACTIVE, {"code": code})).scalar())

    async def read_one(self, conn: Conn, stmt: sa.TextClause, params: dict[str, Any]) -> Any:
        if conn is not None:
            return await super().read_one(conn, stmt, params)
        async with self.db.engine.connect() as own:
            return (await own.execute(stmt, params)).first()

    async def take(self, conn: AsyncConnection | None, p: dict[str, Any],
                   groups: list[str]) -> Taken:
        if conn is None:
            return await self._hold_alone(p, groups)
        b, q, m, a, ins = (await conn.execute(HOLD, {**p, "groups": groups})).one()
        return Taken(b, q, (not m) or a, ins)

    async def _hold_alone(self, p: dict[str, Any], groups: list[str]) -> Taken:
        """The hold as one autocommit statement (one round trip), all or nothing."""
        for attempt in range(MAX_RETRIES):
            try:
                async with self.db.engine.connect() as conn:
                    auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
                    await auto.execute(HOLD_ALONE, {**p, "groups": groups})
                    return Taken(True, True, True, True)
            except DBAPIError as err:
                text = str(err.orig)
                if REFUSED in text:
                    step = text.split(REFUSED, 1)[1]
                    return next((t for k, t in STEPS.items() if step.startswith(k)),
                                Taken(True, True, True, False))
                if attempt == MAX_RETRIES - 1 or not is_retryable(err):
                    raise
                await asyncio.sleep(random.uniform(0.002, 0.01) * (2 ** attempt))
        raise AssertionError("unreachable")
