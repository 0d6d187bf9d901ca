"""Row ids handed out before the row is written, in blocks.

An action that lets its row ride with the conversation's save (see
:class:`bot.actions.RowInsert`) still needs the row's id for its reply; it takes one
from a block this process reserved ahead of need in a single round trip: ``nextval`` of
the table's own sequence on PostgreSQL, the ``id_blocks`` table on SQLite (which has no
sequences). Ids stay unique across processes; a turn that is run again or never saved
leaves a gap, as any sequence does. Every writer of such a table must take its ids
from here.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

BLOCK = 64  #: ids reserved per round trip at first
MAX_BLOCK = 1024  #: ...and at most, after bursts
PG_NEXT_IDS = ("SELECT nextval(pg_get_serial_sequence($1, 'id')) "
               "FROM generate_series(1, $2)")
#: The first id of a new block of ``:size`` for ``{table}`` (first use: after its rows).
LITE_NEXT_BLOCK = (
    "INSERT INTO id_blocks (name, next_id) "
    "VALUES (:name, (SELECT coalesce(max(id), 0) + 1 FROM {table}) + :size) "
    "ON CONFLICT (name) DO UPDATE SET next_id = id_blocks.next_id + :size "
    "RETURNING next_id - :size")

log = logging.getLogger("tongguan.db")

#: reserves ``size`` ids of ``table``; returns them
Reserve = Callable[[str, int], Awaitable[list[int]]]


class IdBlocks:
    """Per-table blocks of ids, refilled one round trip at a time.

    The next block is reserved in the background once half of the current one is used,
    so callers seldom wait; when they do (a burst emptied the block), blocks grow,
    doubling up to :data:`MAX_BLOCK`. A restart loses at most the unused rest of a block.
    """

    def __init__(self, reserve: Reserve, block: int = BLOCK) -> None:
        self._reserve = reserve
        self._block: dict[str, int] = {}
        self._first_block = block
        self._free: dict[str, deque[int]] = {}
        self._pending: dict[str, asyncio.Future[None]] = {}

    async def next(self, table: str) -> int:
        """A fresh id of ``table``'s ``id`` column.

        Raises whatever reserving a block raised, when no id was left to hand out.
        """
        free = self._free.setdefault(table, deque())
        while True:
            if len(free) <= self._block.get(table, self._first_block) // 2 \
                    and table not in self._pending:
                self._refill(table, free)
            if free:
                return free.popleft()
            size = self._block.get(table, self._first_block)
            self._block[table] = min(size * 2, MAX_BLOCK)  # a burst: larger blocks
            # A cancelled caller must not cancel the reservation the others wait for.
            await asyncio.shield(self._pending[table])

    def _refill(self, table: str, free: deque[int]) -> None:
        task = asyncio.ensure_future(
            self._fill(table, free, self._block.get(table, self._first_block)))
        task.add_done_callback(_log_failure)
        self._pending[table] = task

    async def _fill(self, table: str, free: deque[int], size: int) -> None:
        # The ids land (and the reservation is forgotten) inside the task itself: once
        # it is done, a waiter finds them, whatever order callbacks run in.
        try:
            free.extend(await self._reserve(table, size))
        finally:
            del self._pending[table]


def _log_failure(task: asyncio.Future[None]) -> None:
    """Waiters get a failed reservation's exception; one nobody waited for is logged."""
    if not task.cancelled() and task.exception() is not None:
        log.warning("ids.reserve.failed error=%s", type(task.exception()).__name__)
