"""SQLite inline writes by group commit: one failing piece never takes the others down."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.db.database import make_database


async def test_a_failing_piece_is_rolled_back_alone(tmp_path: Path):
    db = make_database(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    try:
        lite = db.inline_sqlite()
        assert lite is not None
        lite.execute("CREATE TABLE t (v INTEGER)")

        def insert(v: int):  # type: ignore[no-untyped-def]
            return lambda c: c.execute("INSERT INTO t (v) VALUES (?)", (v,)).lastrowid

        def insert_then_fail(c):  # type: ignore[no-untyped-def]
            c.execute("INSERT INTO t (v) VALUES (99)")
            raise ValueError("refused")

        async with db.write_lock:  # hold the writer so all three queue into one batch
            tasks = [asyncio.create_task(db.write_inline(w))
                     for w in (insert(1), insert_then_fail, insert(2))]
            await asyncio.sleep(0)
        first, failed, last = await asyncio.gather(*tasks, return_exceptions=True)
        assert isinstance(failed, ValueError)
        assert isinstance(first, int) and isinstance(last, int)
        assert sorted(v for (v,) in lite.execute("SELECT v FROM t")) == [1, 2]
        with pytest.raises(ValueError):
            await db.write_inline(insert_then_fail)
        assert await db.write_inline(insert(3))
        assert sorted(v for (v,) in lite.execute("SELECT v FROM t")) == [1, 2, 3]
    finally:
        await db.dispose()
