"""The one place a database's dialect is looked at outside the repositories' variants.

Features keep their SQL in repository modules with a PostgreSQL and a SQLite variant
side by side; :func:`choose` picks the variant once, when the feature is built, so
service code never tests the dialect. :func:`upsert_insert` is the shared choice of
``INSERT … ON CONFLICT`` construct for repositories with a single statement per table.
"""

from __future__ import annotations

from typing import Any, TypeAlias, TypeVar

from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.db.database import Database

T = TypeVar("T")
#: Either dialect's ``INSERT``; both have ``on_conflict_do_nothing``/``_do_update``.
UpsertInsert: TypeAlias = PgInsert | SqliteInsert


def is_postgres(db: Database) -> bool:
    """True for PostgreSQL; everything else is treated as SQLite."""
    return db.dialect == "postgresql"


def choose(db: Database, *, postgresql: T, sqlite: T) -> T:
    """The variant for ``db``'s dialect (call once, at construction)."""
    return postgresql if is_postgres(db) else sqlite


def upsert_insert(db: Database, table: Any) -> UpsertInsert:
    """An ``INSERT`` into ``table`` with ``on_conflict_do_nothing``/``_do_update``."""
    return pg_insert(table) if is_postgres(db) else sqlite_insert(table)
