"""SQLite side of the hot path: fixed statements run on the event loop, no thread hop.

SQLite has one writer and no network: a hold is a few microsecond-scale statements, so
this process keeps one plain ``sqlite3`` connection per database (WAL,
``synchronous=NORMAL``) and runs ``BEGIN IMMEDIATE … COMMIT`` inline, never awaiting
inside the transaction. Its ``busy_timeout`` is 0 so another process's write lock never
blocks the event loop: ``SQLITE_BUSY`` is retried after an ``asyncio.sleep``. (A WAL
checkpoint at commit may still take a few milliseconds now and then.)
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.db.database import Database, sqlite_time

RETRIES = 60  #: ~ several seconds of backoff in all, like the engine's busy timeout


@dataclass(frozen=True)
class Taken:
    """Which steps applied: ``held`` only when all of them did."""

    quota: bool
    household_ok: bool
    held: bool


_LITE_QUOTA = ("INSERT INTO supply_quotas (subject, product_id, period, used) "
               "VALUES (:subject, :pid, :period, :amount) "
               "ON CONFLICT (subject, product_id, period) DO UPDATE SET used = used + :amount "
               "WHERE used + :amount <= :lim")
_LITE_HOUSEHOLD = ("INSERT INTO supply_households (account_key, product_id, period, person_key) "
                   "VALUES (:acct, :pid, :period, :person) ON CONFLICT DO NOTHING")
_LITE_PRIO = ("SELECT 1 FROM supply_priority WHERE person_key = ? AND \"group\" IN "
              "(SELECT value FROM json_each(?)) LIMIT 1")
_LITE_TAKE = ("UPDATE supply_releases SET remaining = remaining - :qty, updated_at = :now, "
              "priority_left = CASE WHEN :prio THEN max(priority_left - :qty, 0) "
              "ELSE priority_left END WHERE id = :rid "
              "AND (SELECT active FROM supply_stores WHERE id = supply_releases.store_id) "
              "AND remaining - CASE WHEN :keep AND NOT :prio THEN priority_left ELSE 0 END "
              ">= :qty")
_LITE_INSERT = ("INSERT INTO supply_reservations (public_id, release_id, person_key, account_key,"
                " channel, user_id, quantity, period, name_sealed, code_hash, code_sealed, "
                "status, window_start, window_end, reminded, created_at) VALUES (:public_id, "
                ":rid, :person, :acct, :channel, :user_id, :qty, :period, :name_sealed, "
                ":code_hash, :code_sealed, 'active', :window_start, :window_end, 0, :now)")






def take_sync(db: sqlite3.Connection, p: dict[str, Any], groups: list[str]) -> Taken:
    period = p["period"].isoformat()
    cur = db.execute(_LITE_QUOTA, {"subject": p["person"], "pid": p["pid"], "period": period,
                                   "amount": p["qty"], "lim": p["lim"]})
    if cur.rowcount != 1:
        return Taken(False, False, False)
    cur = db.execute(_LITE_HOUSEHOLD, {"acct": p["acct"], "pid": p["pid"], "period": period,
                                       "person": p["person"]})
    if cur.rowcount == 1:
        cur = db.execute(_LITE_QUOTA, {"subject": p["acct_subject"], "pid": p["pid"],
                                       "period": period, "amount": 1, "lim": p["hlim"]})
        if cur.rowcount != 1:
            return Taken(True, False, False)
    prio = bool(p["prio"])
    if not prio and groups:
        prio = db.execute(_LITE_PRIO, (p["person"], json.dumps(groups))).fetchone() is not None
    now = sqlite_time(p["now"])
    cur = db.execute(_LITE_TAKE, {"qty": p["qty"], "now": now, "prio": prio, "rid": p["rid"],
                                  "keep": bool(p["keep"])})
    if cur.rowcount != 1:
        return Taken(True, True, False)
    db.execute(_LITE_INSERT, {
        **{k: p[k] for k in ("public_id", "rid", "person", "acct", "channel", "user_id", "qty",
                             "name_sealed", "code_hash", "code_sealed")},
        "period": period, "window_start": sqlite_time(p["window_start"]),
        "window_end": sqlite_time(p["window_end"]), "now": now})
    return Taken(True, True, True)


def hold_sync(db: sqlite3.Connection, p: dict[str, Any], groups: list[str]) -> Taken:
    db.execute("BEGIN IMMEDIATE")
    try:
        taken = take_sync(db, p, groups)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT" if taken.held else "ROLLBACK")
    return taken


_SLOT = ("SELECT r.id, s.code, s.name FROM supply_releases r JOIN supply_stores s "
         "ON s.id = r.store_id WHERE s.code = ? AND s.active AND r.product_id = ? AND r.day = ?")


def slot(conn: sqlite3.Connection, code: str, product_id: int,
         day: date) -> tuple[int, str, str] | None:
    """Like ``SupplyContext.slot``'s query, as a plain read (no write lock taken)."""
    return conn.execute(_SLOT, (code, product_id, day.isoformat())).fetchone()


def store_active(conn: sqlite3.Connection, code: str) -> bool:
    row = conn.execute("SELECT active FROM supply_stores WHERE code = ?", (code,)).fetchone()
    return bool(row and row[0])


def inline_connection(db: Database) -> sqlite3.Connection | None:
    """This process's inline connection to ``db`` (None for in-memory databases)."""
    return db.inline_sqlite()


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
