"""The declarations' SQL on PostgreSQL (see :mod:`.repository`).

A list import locks ``health_subjects`` against writers for its transaction, copies the
list into the staging table with ``COPY`` (asyncpg's ``copy_records_to_table``: one
round trip for the whole file) and ``ANALYZE``s the temporary tables, which autovacuum
never does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.db.dialects import UpsertInsert
from bot.services.declarations.repository import (
    RAW,
    STAGE,
    TEMPORARY,
    DeclarationsRepository,
    raw_columns,
    stage_columns,
)

_METADATA = sa.MetaData()
RAW_TABLE = sa.Table(RAW, _METADATA, *raw_columns(), prefixes=TEMPORARY,
                     postgresql_on_commit="DROP")
STAGE_TABLE = sa.Table(STAGE, _METADATA, *stage_columns(), prefixes=TEMPORARY,
                       postgresql_on_commit="DROP")
#: Declarations, re-binds and single sets lock a subject row first: this waits for those
#: in flight and holds new ones (and new subjects) until the commit.
HOLD_SUBJECTS = sa.text("LOCK TABLE health_subjects IN EXCLUSIVE MODE")


class PostgresDeclarationsRepository(DeclarationsRepository):
    """The declarations' statements on PostgreSQL."""

    raw = RAW_TABLE
    stage = STAGE_TABLE

    def insert(self, table: Any) -> UpsertInsert:
        return pg_insert(table)

    async def hold_subjects(self, session: AsyncSession) -> None:
        await session.execute(HOLD_SUBJECTS)

    async def load_list(self, conn: AsyncConnection, rows: Sequence[tuple[int, str]]) -> None:
        driver = (await conn.get_raw_connection()).driver_connection
        # a connection checked out of the pool always has its asyncpg connection
        assert driver is not None, "a pooled connection without its driver connection"
        await driver.copy_records_to_table(RAW, records=rows, columns=["line", "id_index"])
        await conn.execute(sa.text(f"ANALYZE {RAW}"))  # temp tables are never auto-analysed

    async def list_staged(self, conn: AsyncConnection) -> None:
        await conn.execute(sa.text(f"ANALYZE {STAGE}"))

    def position(self, text: sa.ColumnElement[Any], part: str) -> sa.ColumnElement[int]:
        return sa.func.strpos(text, part, type_=sa.Integer)
