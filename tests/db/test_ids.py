"""Id blocks: reserved ahead of need, larger after a burst, failures reach the caller."""

from __future__ import annotations

import asyncio

import pytest

from bot.db.ids import MAX_BLOCK, IdBlocks


class Reserver:
    """Hands out consecutive ids like a sequence; records each reservation's size."""

    def __init__(self) -> None:
        self.next = 1
        self.sizes: list[int] = []
        self.fail = False

    async def __call__(self, table: str, size: int) -> list[int]:
        await asyncio.sleep(0)
        if self.fail:
            raise ConnectionError("database down")
        self.sizes.append(size)
        ids = list(range(self.next, self.next + size))
        self.next += size
        return ids


async def test_ids_are_unique_and_the_next_block_is_reserved_ahead():
    reserve = Reserver()
    ids = IdBlocks(reserve, block=8)
    got = [await ids.next("t") for _ in range(5)]
    await asyncio.sleep(0.01)  # the background reservation lands
    assert got == [1, 2, 3, 4, 5]
    assert reserve.sizes == [8, 16]  # the first caller waited: blocks grew; then ahead


async def test_a_burst_gets_unique_ids_and_blocks_grow_to_the_cap():
    reserve = Reserver()
    ids = IdBlocks(reserve, block=4)
    got = await asyncio.gather(*(ids.next("t") for _ in range(3000)))
    assert sorted(got) == list(range(1, 3001))
    assert max(reserve.sizes) == MAX_BLOCK


async def test_a_failed_reservation_reaches_the_waiting_caller_and_the_next_one_retries():
    reserve = Reserver()
    reserve.fail = True
    ids = IdBlocks(reserve, block=4)
    with pytest.raises(ConnectionError):
        await ids.next("t")
    reserve.fail = False
    assert await ids.next("t") == 1
