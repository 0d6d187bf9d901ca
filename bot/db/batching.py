"""Group commit: many concurrent callers' writes in one statement, each still awaited.

A caller submits one item and waits for its own result, so nothing is acknowledged
before it is committed. While a flush is running, new items gather; the next flush takes
them all. With one caller at a time every item goes alone and at once (no added delay);
under load the batch grows with the load, and the database sees one statement and one
commit for many callers instead of one each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

I = TypeVar("I")  # noqa: E741 - the item type
R = TypeVar("R")


class GroupCommit(Generic[I, R]):
    """Runs ``flush(items) -> results`` (one result per item, same order) on batches.

    ``key`` names what two items of one batch must not share (say, the row they
    update): a second item with a key already in the batch waits for the next one, so
    a batch never holds two writes of the same row.
    """

    def __init__(self, flush: Callable[[list[I]], Awaitable[list[R]]], *,
                 key: Callable[[I], Hashable] | None = None, max_batch: int = 256,
                 max_inflight: int = 2) -> None:
        self._flush = flush
        self._key = key
        self._max_batch = max_batch
        self._max_inflight = max_inflight
        self._pending: list[tuple[I, asyncio.Future[R]]] = []
        self._inflight: set[asyncio.Task[None]] = set()
        self.flushes = 0  #: batches written (for benchmarks)
        self.items = 0  #: items written

    async def submit(self, item: I) -> R:
        """Queue ``item`` and wait until the batch holding it is written."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        self._start()
        # A cancelled caller cancels only its own future: the flush goes on for the
        # others (and writes this item too, as a cancelled single write might have).
        return await future

    def _start(self) -> None:
        while self._pending and len(self._inflight) < self._max_inflight:
            batch = self._take()
            task = asyncio.get_running_loop().create_task(self._run(batch))
            self._inflight.add(task)
            task.add_done_callback(self._done)

    def _take(self) -> list[tuple[I, asyncio.Future[R]]]:
        batch: list[tuple[I, asyncio.Future[R]]] = []
        rest: list[tuple[I, asyncio.Future[R]]] = []
        keys: set[Hashable] = set()
        for entry in self._pending:
            key = self._key(entry[0]) if self._key else None
            if len(batch) >= self._max_batch or (key is not None and key in keys):
                rest.append(entry)
                continue
            if key is not None:
                keys.add(key)
            batch.append(entry)
        self._pending = rest
        return batch

    async def _run(self, batch: list[tuple[I, asyncio.Future[R]]]) -> None:
        try:
            results = await self._flush([item for item, _ in batch])
        except BaseException as err:  # noqa: BLE001 - handed to every waiting caller
            for _, future in batch:
                if not future.done():
                    future.set_exception(err)
            if isinstance(err, asyncio.CancelledError):
                raise
            return
        self.flushes += 1
        self.items += len(batch)
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self._start()

    async def drain(self) -> None:
        """Wait until everything submitted so far is written."""
        while self._inflight or self._pending:
            self._start()
            await asyncio.gather(*self._inflight, return_exceptions=True)


def columns(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Rows of a batch as one list per column (the arrays of an ``unnest`` statement)."""
    return [list(column) for column in zip(*rows, strict=True)]
