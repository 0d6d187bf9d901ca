"""Row ids handed out before the row is written, in blocks.

An action that lets its row ride with the conversation's save (see
:class:`bot.actions.RowInsert`) still needs the row's id for its reply; it takes one
from a block this process reserved in a single round trip: ``nextval`` of the table's
own sequence on PostgreSQL, the ``id_blocks`` table on SQLite (which has no
sequences). Ids stay unique across processes; a turn that is run again or never saved
leaves a gap, as any sequence does. Every writer of such a table must take its ids
from here.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

BLOCK = 64  #: ids reserved per round trip
PG_NEXT_IDS = ("SELECT nextval(pg_get_serial_sequence($1, 'id')) "
               "FROM generate_series(1, $2)")
#: The first id of a new block of ``:size`` for ``{table}`` (first use: after its rows).
LITE_NEXT_BLOCK = (
    "INSERT INTO id_blocks (name, next_id) "
    "VALUES (:name, (SELECT coalesce(max(id), 0) + 1 FROM {table}) + :size) "
    "ON CONFLICT (name) DO UPDATE SET next_id = id_blocks.next_id + :size "
    "RETURNING next_id - :size")

#: reserves ``size`` ids of ``table``; returns them
Reserve = Callable[[str, int], Awaitable[list[int]]]


class IdBlocks:
    """Per-table blocks of ids, refilled one round trip at a time."""

    def __init__(self, reserve: Reserve, block: int = BLOCK) -> None:
        self._reserve = reserve
        self._block = block
        self._free: dict[str, deque[int]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def next(self, table: str) -> int:
        """A fresh id of ``table``'s ``id`` column."""
        free = self._free.setdefault(table, deque())
        if not free:
            async with self._locks.setdefault(table, asyncio.Lock()):
                if not free:
                    free.extend(await self._reserve(table, self._block))
        return free.popleft()
