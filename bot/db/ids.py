"""Row ids handed out before the row is written (PostgreSQL sequences, in blocks).

An action that lets its row ride with the conversation's save (see
:class:`bot.actions.RowInsert`) still needs the row's id for its reply; it takes one
from a block this process reserved with a single ``nextval`` round trip. Ids stay
unique across processes; a turn that is run again or never saved leaves a gap, as any
sequence does.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

BLOCK = 64  #: ids reserved per round trip
NEXT_IDS = ("SELECT nextval(pg_get_serial_sequence($1, 'id')) "
            "FROM generate_series(1, $2)")


class IdBlocks:
    """Per-table blocks of sequence values, refilled one round trip at a time."""

    def __init__(self, pool: Any, block: int = BLOCK) -> None:
        self._pool = pool  #: an asyncpg pool (or anything with ``fetch``)
        self._block = block
        self._free: dict[str, deque[int]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def next(self, table: str) -> int:
        """A fresh id of ``table``'s ``id`` column (a serial)."""
        free = self._free.setdefault(table, deque())
        if not free:
            async with self._locks.setdefault(table, asyncio.Lock()):
                if not free:
                    rows = await self._pool.fetch(NEXT_IDS, table, self._block)
                    free.extend(row[0] for row in rows)
        return free.popleft()
