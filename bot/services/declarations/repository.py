"""The declarations' SQL that differs between databases: the interface of its two
variants (``repository_postgres``, ``repository_sqlite``) and what they share.

The service builds one variant per process (``Declarations.repo``, chosen from the
database's dialect once); service code calls its methods and never looks at the dialect.
The variants hold the ``INSERT … ON CONFLICT`` construct (new subjects, the resident
register) and the parts of an official status list import that differ: how the list is
kept from racing declarations, how its rows reach the temporary staging table (``COPY``
on PostgreSQL, chunked inserts on SQLite), how the staged rows are made fast to join,
and the string function that splits a chat identity.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.db.database import Database
from bot.db.dialects import UpsertInsert

#: the list file's rows: (line, ID blind index)
RAW = "tmp_official_list"
#: each row matched: subject, binding, latest status, whether already done
STAGE = "tmp_official_import"
TEMPORARY = ("TEMPORARY",)


def raw_columns() -> list[sa.Column[Any]]:
    """The columns of :data:`RAW` (new objects: a column belongs to one table)."""
    return [sa.Column("line", sa.Integer, nullable=False),
            sa.Column("id_index", sa.String(64), primary_key=True)]


def stage_columns() -> list[sa.Column[Any]]:
    """The columns of :data:`STAGE`."""
    return [sa.Column("line", sa.Integer, nullable=False),
            sa.Column("id_index", sa.String(64), primary_key=True),
            sa.Column("subject", sa.String(16)),
            sa.Column("bound_key", sa.String(160)),
            sa.Column("status_id", sa.Integer),
            sa.Column("old_color", sa.String(8)),
            sa.Column("owner_key", sa.String(160)),
            sa.Column("masked_name", sa.String(32)),
            sa.Column("declaration_id", sa.Integer),
            sa.Column("proxy", sa.Boolean),
            sa.Column("skip", sa.Boolean)]


class DeclarationsRepository(ABC):
    """The dialect-specific statements of the declarations service, for one database."""

    #: the temporary tables of a list import, :data:`RAW` and :data:`STAGE` (gone at the
    #: end of the transaction on PostgreSQL, of the connection on SQLite)
    raw: sa.Table
    stage: sa.Table

    def __init__(self, db: Database) -> None:
        self.db = db

    @abstractmethod
    def insert(self, table: Any) -> UpsertInsert:
        """An ``INSERT`` into ``table`` supporting ``on_conflict_do_nothing``/``_update``."""

    # -- official status lists ------------------------------------------------------------
    @abstractmethod
    async def hold_subjects(self, session: AsyncSession) -> None:
        """Make declarations, re-binds and single status changes (which lock a subject
        row first) wait until ``session``'s transaction ends, and wait for those in
        flight, so nobody declares past a list being applied."""

    async def create_list_tables(self, conn: AsyncConnection) -> None:
        """(Re)create the empty temporary tables :attr:`raw` and :attr:`stage`."""
        for table in (STAGE, RAW):
            await conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
        await conn.run_sync(lambda sync: self.raw.metadata.create_all(sync))

    @abstractmethod
    async def load_list(self, conn: AsyncConnection, rows: Sequence[tuple[int, str]]) -> None:
        """Put ``rows`` (line, ID blind index) into :attr:`raw`, in as few statements as
        the database allows."""

    @abstractmethod
    async def list_staged(self, conn: AsyncConnection) -> None:
        """:attr:`stage` has been filled: make the statements that join it fast."""

    async def drop_list_tables(self, session: AsyncSession) -> None:
        for table in (STAGE, RAW):
            await session.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))

    @abstractmethod
    def position(self, text: sa.ColumnElement[Any], part: str) -> sa.ColumnElement[int]:
        """Where ``part`` first occurs in ``text`` (1-based; 0 when it does not)."""
