"""Group commit: concurrent items share a flush, each caller gets its own result."""

from __future__ import annotations

import asyncio

import pytest

from bot.db.batching import GroupCommit, columns


class Recorder:
    """A flush that records its batches and can be held open or made to fail."""

    def __init__(self) -> None:
        self.batches: list[list[tuple[str, int]]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail: Exception | None = None

    async def __call__(self, items: list[tuple[str, int]]) -> list[int]:
        self.batches.append(list(items))
        await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return [value * 10 for _, value in items]


async def test_a_lone_item_is_written_at_once_and_alone():
    flush = Recorder()
    group = GroupCommit(flush, key=lambda item: item[0])
    assert await group.submit(("a", 1)) == 10
    assert flush.batches == [[("a", 1)]]


async def test_items_arriving_during_a_flush_share_the_next_one():
    flush = Recorder()
    group = GroupCommit(flush, key=lambda item: item[0], max_inflight=1)
    flush.gate.clear()
    first = asyncio.create_task(group.submit(("a", 1)))
    await asyncio.sleep(0)  # the first flush is running, held open
    rest = [asyncio.create_task(group.submit((key, n))) for n, key in enumerate("bcd", 2)]
    await asyncio.sleep(0)
    flush.gate.set()
    assert await first == 10
    assert [await task for task in rest] == [20, 30, 40]
    assert flush.batches == [[("a", 1)], [("b", 2), ("c", 3), ("d", 4)]]
    assert (group.flushes, group.items) == (2, 4)


async def test_two_items_with_one_key_never_share_a_batch():
    flush = Recorder()
    group = GroupCommit(flush, key=lambda item: item[0], max_inflight=1)
    flush.gate.clear()
    blocker = asyncio.create_task(group.submit(("x", 0)))
    await asyncio.sleep(0)
    tasks = [asyncio.create_task(group.submit(item))
             for item in [("a", 1), ("a", 2), ("b", 3)]]
    await asyncio.sleep(0)
    flush.gate.set()
    await blocker
    assert [await task for task in tasks] == [10, 20, 30]
    assert flush.batches[1:] == [[("a", 1), ("b", 3)], [("a", 2)]]


async def test_a_failed_flush_fails_every_caller_in_it_and_the_next_one_works():
    flush = Recorder()
    group = GroupCommit(flush, max_inflight=1)
    flush.gate.clear()
    flush.fail = RuntimeError("database gone")
    tasks = [asyncio.create_task(group.submit((k, 1))) for k in "ab"]
    await asyncio.sleep(0)
    flush.gate.set()
    for task in tasks:
        with pytest.raises(RuntimeError, match="database gone"):
            await task
    flush.fail = None
    assert await group.submit(("c", 2)) == 20


async def test_a_cancelled_caller_does_not_cancel_the_others():
    flush = Recorder()
    group = GroupCommit(flush, max_inflight=1)
    flush.gate.clear()
    leaving = asyncio.create_task(group.submit(("a", 1)))
    staying = asyncio.create_task(group.submit(("b", 2)))
    await asyncio.sleep(0)
    leaving.cancel()
    await asyncio.sleep(0)
    flush.gate.set()
    assert await staying == 20
    assert leaving.cancelled()
    await group.drain()
    assert flush.batches == [[("a", 1)], [("b", 2)]]  # the leaver's write still went


def test_columns_turns_rows_into_arrays():
    assert columns([(1, "a"), (2, "b")]) == [[1, 2], ["a", "b"]]
