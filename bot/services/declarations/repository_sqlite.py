"""The declarations' SQL on SQLite (see :mod:`.repository`).

SQLite has one writer at a time (the transaction's ``BEGIN IMMEDIATE``), so a list
import needs no lock of its own; the list reaches the staging table in chunked
``executemany`` inserts, and the staged rows get an index on ``subject``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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

CHUNK = 5000  #: list rows per executemany
_METADATA = sa.MetaData()
RAW_TABLE = sa.Table(RAW, _METADATA, *raw_columns(), prefixes=TEMPORARY)
STAGE_TABLE = sa.Table(STAGE, _METADATA, *stage_columns(), prefixes=TEMPORARY)
INSERT_RAW = sa.insert(RAW_TABLE)
INDEX_STAGE = sa.text(f"CREATE INDEX IF NOT EXISTS temp.ix_{STAGE}_subject ON {STAGE} (subject)")


class SqliteDeclarationsRepository(DeclarationsRepository):
    """The declarations' statements on SQLite."""

    raw = RAW_TABLE
    stage = STAGE_TABLE

    def insert(self, table: Any) -> UpsertInsert:
        return sqlite_insert(table)

    async def hold_subjects(self, session: AsyncSession) -> None:
        """Nothing to do: the transaction's ``BEGIN IMMEDIATE`` already keeps every other
        writer out until it ends."""

    async def load_list(self, conn: AsyncConnection, rows: Sequence[tuple[int, str]]) -> None:
        for start in range(0, len(rows), CHUNK):
            await conn.execute(INSERT_RAW, [{"line": line, "id_index": key}
                                            for line, key in rows[start:start + CHUNK]])

    async def list_staged(self, conn: AsyncConnection) -> None:
        await conn.execute(INDEX_STAGE)

    def position(self, text: sa.ColumnElement[Any], part: str) -> sa.ColumnElement[int]:
        return sa.func.instr(text, part, type_=sa.Integer)
