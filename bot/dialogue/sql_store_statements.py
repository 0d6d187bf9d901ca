"""The conversation store's SQL: fixed statements for each engine, and the statements
that insert the rows actions hand back (:class:`bot.actions.RowInsert`) with a save.

PostgreSQL statements use ``$n`` (asyncpg), SQLite ones ``?`` (sqlite3); both go straight
to the driver. Table and column names in built statements come from the schema
(``Base.metadata``), never from input: an unknown one raises KeyError.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy.dialects import postgresql

from bot.actions import RowInsert
from bot.db.base import Base
from bot.db.batching import columns
from bot.db.sqlite_inline import sqlite_time

PG_SELECT = "SELECT id, version, state FROM conversations WHERE user_key = $1"
#: Finds or creates many users' rows in one statement (a row another process created
#: after the statement's snapshot is in neither half: looked up again on its own).
PG_FIND_OR_CREATE = (
    "WITH v AS (SELECT * FROM unnest($1::text[]) AS v(user_key)), "
    "created AS (INSERT INTO conversations (user_key, lang, state, version, push_allowed, "
    "created_at, updated_at) SELECT user_key, '', NULL, 0, true, $2, $2 FROM v "
    "ON CONFLICT (user_key) DO NOTHING RETURNING user_key, id, version, state) "
    "SELECT user_key, id, version, state FROM created UNION ALL "
    "SELECT c.user_key, c.id, c.version, c.state FROM conversations c "
    "JOIN v ON c.user_key = v.user_key")
#: Begin and lock in one round trip (a simple-protocol query: its status line says
#: whether the row still has the loaded version; both values are integers we hold).
PG_BEGIN_LOCK = ("BEGIN; SELECT 1 FROM conversations WHERE id = {row_id:d} "
                 "AND version = {version:d} FOR UPDATE")
PG_UPDATE = ("UPDATE conversations SET state = $2, lang = $3, version = version + 1, "
             "updated_at = $4 WHERE id = $1 AND version = $5 RETURNING id")
PG_TURN = ("INSERT INTO turns (conversation_id, at, flow_id, intent, sealed) "
           "VALUES ($1, $2, $3, $4, $5)")
#: The conditional save, its (usually single) turn row and the rows its actions handed
#: back (``{inserts}``, see :func:`pg_insert`) in one statement: all or nothing.
PG_UPDATE_WITH_TURN = (
    "WITH saved AS (UPDATE conversations SET state = $2, lang = $3, version = version + 1, "
    "updated_at = $4 WHERE id = $1 AND version = $8 RETURNING id), "
    "logged AS (INSERT INTO turns (conversation_id, at, flow_id, intent, sealed) "
    "SELECT id, $4, $5, $6, $7 FROM saved){inserts} SELECT id FROM saved")
#: Many users' saves and their turn rows in one statement (see :mod:`bot.db.batching`):
#: each row is updated only if it still has the version its turn loaded.
PG_SAVE_BATCH = """
WITH v AS (
    SELECT * FROM unnest($1::int[], $2::int[], $3::bytea[], $4::text[], $5::timestamptz[],
                         $6::text[], $7::text[], $8::bytea[])
        AS v(id, version, state, lang, at, flow_id, intent, sealed)),
saved AS (
    UPDATE conversations c SET state = v.state, lang = v.lang, version = c.version + 1,
           updated_at = v.at
    FROM v WHERE c.id = v.id AND c.version = v.version RETURNING c.id),
logged AS (
    INSERT INTO turns (conversation_id, at, flow_id, intent, sealed)
    SELECT v.id, v.at, v.flow_id, v.intent, v.sealed FROM v JOIN saved ON saved.id = v.id){inserts}
SELECT id FROM saved
"""
LITE_SELECT = "SELECT id, version, state FROM conversations WHERE user_key = ?"
LITE_VERSION = "SELECT version FROM conversations WHERE id = ?"
LITE_INSERT = ("INSERT INTO conversations (user_key, lang, state, version, push_allowed, "
               "created_at, updated_at) VALUES (?, '', NULL, 0, 1, ?, ?) "
               "ON CONFLICT (user_key) DO NOTHING")
LITE_UPDATE = ("UPDATE conversations SET state = ?, lang = ?, version = version + 1, "
               "updated_at = ? WHERE id = ? AND version = ?")
LITE_TURN = ("INSERT INTO turns (conversation_id, at, flow_id, intent, sealed) "
             "VALUES (?, ?, ?, ?, ?)")



class Save(NamedTuple):
    """One conversation's save in a batch."""

    row_id: int
    version: int
    state: bytes
    lang: str
    at: datetime
    flow_id: str | None
    intent: str | None
    turn: bytes
    inserts: tuple[RowInsert, ...] = ()


PG_DIALECT = postgresql.dialect()


def _target(table: str, columns: tuple[str, ...]) -> tuple[str, list[str]]:
    """``table (col, …)`` and each column's PostgreSQL type, from the schema."""
    t = Base.metadata.tables[table]
    names = ", ".join(t.c[col].name for col in columns)
    return f"{t.name} ({names})", [t.c[col].type.compile(dialect=PG_DIALECT) for col in columns]


@lru_cache(maxsize=128)
def pg_insert(table: str, columns: tuple[str, ...], first: int) -> str:
    """``INSERT INTO table (columns) SELECT $first::type, …`` with each parameter cast to
    its column's type (a bare parameter in a SELECT list would be taken as text)."""
    target, types = _target(table, columns)
    casts = ", ".join(f"${first + i}::{sql_type}" for i, sql_type in enumerate(types))
    return f"INSERT INTO {target} SELECT {casts}"


@lru_cache(maxsize=128)
def lite_insert(table: str, columns: tuple[str, ...]) -> str:
    target, _ = _target(table, columns)
    return f"INSERT INTO {target} VALUES ({', '.join('?' * len(columns))})"


@lru_cache(maxsize=128)
def pg_insert_batch(n: int, table: str, columns: tuple[str, ...], first: int) -> str:
    """The CTE ``r{n}`` (after a comma) of :data:`PG_SAVE_BATCH` that inserts one kind
    of row for many saves: ``$first`` holds each row's conversation id, then one array
    per column; only rows whose conversation was saved are inserted."""
    target, types = _target(table, columns)
    arrays = ", ".join(f"${first + 1 + i}::{sql_type}[]" for i, sql_type in enumerate(types))
    names = ", ".join(f"c{i}" for i in range(len(columns)))
    return (f", r{n} AS (INSERT INTO {target} SELECT {names} "
            f"FROM unnest(${first}::int[], {arrays}) AS x(conv, {names}) "
            "JOIN saved ON saved.id = x.conv)")


def pg_save_batch(saves: list[Save]) -> tuple[str, list[Any]]:
    """:data:`PG_SAVE_BATCH` and its arguments for ``saves``, with a CTE per kind of row
    their actions handed back (see :class:`bot.actions.RowInsert`)."""
    args = columns([save[:8] for save in saves])
    kinds: dict[tuple[str, tuple[str, ...]], list[tuple[int, RowInsert]]] = {}
    for save in saves:
        for row in save.inserts:
            kinds.setdefault((row.table, tuple(row.values)), []).append((save.row_id, row))
    ctes = []
    for n, ((table, cols), rows) in enumerate(kinds.items()):
        ctes.append(pg_insert_batch(n, table, cols, len(args) + 1))
        args.append([row_id for row_id, _ in rows])
        args.extend([row.values[col] for _, row in rows] for col in cols)
    return PG_SAVE_BATCH.format(inserts="".join(ctes)), args


def lite_values(row: RowInsert) -> tuple[Any, ...]:
    return tuple(sqlite_time(v) if isinstance(v, datetime) else v for v in row.values.values())
