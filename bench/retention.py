"""Retention and seal rotation at volume, on SQLite and PostgreSQL.

The database holds ``--rows`` chat turn logs and as many form records older than their
retention, and a tenth as many recent ones. Timed: ``tongguan retention run`` (rows/s,
in batches of ``retention.batch_size``), chat turns (``帮助``, through the real engine:
each writes a turn log row into the table being cleaned) alone and while retention runs
(p50/p99 and the ratio: how long a batch holds the writers up), and
``tongguan secrets rotate-seal`` over what is left (values/s). Figures only; it never
passes or fails on time.

    python bench/retention.py [--rows 100000] [--batch 500] [--only sqlite|postgres]

PostgreSQL is the server at ``TONGGUAN_TEST_POSTGRES_URL`` (default the local one); a
throw-away database is created there and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _http_load import throwaway_postgres  # noqa: E402

from bot.assembly import open_hub  # noqa: E402
from bot.config import SealSettings, load_settings  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.db.models.core import Conversation, Record, Turn  # noqa: E402
from bot.messages import Inbound  # noqa: E402
from bot.services.privacy.retention import run_retention  # noqa: E402
from bot.services.privacy.rotation import rotate_seal  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-0123456789abcdef0123456789abcdef"
NEW_KEY = "bench-seal-key-b-0123456789abcdef0123456789"
CHUNK = 5000
CONVERSATIONS = 1000


async def seed(hub, rows: int) -> None:  # type: ignore[no-untyped-def]
    """``rows`` old turns and records (60 and 90 days ago) and a tenth as many recent."""
    now = hub.clock.now()
    blob = hub.sealer.seal({"in": {"kind": "text", "text": "帮助"}, "out": []})
    convs = [{"id": n + 1, "user_key": f"web:b{n}", "lang": "zh", "state": None, "version": 0,
              "push_allowed": True, "created_at": now, "updated_at": now}
             for n in range(CONVERSATIONS)]
    recent = rows // 10

    def turns(n: int, at):  # type: ignore[no-untyped-def]
        return [{"conversation_id": i % CONVERSATIONS + 1, "at": at, "flow_id": None,
                 "intent": "help", "sealed": blob} for i in range(n)]

    def records(start: int, n: int, at):  # type: ignore[no-untyped-def]
        return [{"id": start + i, "flow_id": "community_screening",
                 "user_key": f"web:b{i % CONVERSATIONS}", "lang": "zh", "data": blob,
                 "created_at": at} for i in range(n)]

    async with hub.db.write() as session:
        await session.execute(sa.insert(Conversation), convs)
        for model, batch in ((Turn, turns(rows, now - timedelta(days=60))),
                             (Turn, turns(recent, now)),
                             (Record, records(1, rows, now - timedelta(days=90))),
                             (Record, records(rows + 1, recent, now))):
            for start in range(0, len(batch), CHUNK):
                await session.execute(sa.insert(model), batch[start:start + CHUNK])
        if hub.db.dialect == "postgresql":
            for table in ("conversations", "records"):
                await session.execute(sa.text(
                    f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
        else:
            await session.execute(sa.text(
                "INSERT OR REPLACE INTO id_blocks (name, next_id) VALUES ('records', :n)"),
                {"n": rows + recent + 1})


async def turn_latencies(hub, stop: asyncio.Event | None, count: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Chat turns one after another (several users): ``count`` of them, and on until
    ``stop`` is set when one is given."""
    took: list[float] = []
    n = 0
    while n < count or (stop is not None and not stop.is_set()):
        start = time.perf_counter()
        await hub.engine.handle(Inbound(channel="web", user_id=f"live{n % 20}", text="帮助"))
        took.append(time.perf_counter() - start)
        n += 1
    return took


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


async def bench(label: str, url: str, rows: int, batch: int) -> None:
    upgrade(url)
    base = load_settings(ROOT / "config.yml", env={})
    settings = dataclasses.replace(
        base, database_url=url, secret_key=SECRET, flows_dir=ROOT / "flows",
        intents_dir=ROOT / "intents", keys_dir=Path(tempfile.mkdtemp()) / "keys",
        flows_reload_seconds=0.0,
        retention=dataclasses.replace(base.retention, batch_size=batch))
    async with open_hub(settings) as hub:
        start = time.perf_counter()
        await seed(hub, rows)
        print(f"{label}: seeded {rows} old turns and records (+{rows // 10} recent each) in "
              f"{time.perf_counter() - start:.1f} s")
        await turn_latencies(hub, None, 40)  # warm up
        idle = await turn_latencies(hub, None, 200)
        stop = asyncio.Event()
        during_task = asyncio.create_task(turn_latencies(hub, stop, 5))
        start = time.perf_counter()
        report = await run_retention(hub, kinds=["turns", "records"])
        took = time.perf_counter() - start
        stop.set()
        during = await during_task
        removed = sum(r.deleted for r in report.results)
        print(f"  retention         {took:6.2f} s  {removed / took:9.0f} rows/s  (batch {batch},"
              f" {removed} rows)")
        print(f"  chat turns idle   p50 {pct(idle, .5):6.1f} ms  p99 {pct(idle, .99):6.1f} ms"
              f"  ({len(idle)} turns)")
        print(f"  during retention  p50 {pct(during, .5):6.1f} ms  p99 {pct(during, .99):6.1f} ms"
              f"  ({len(during)} turns)  ratio p50 "
              f"{statistics.median(during) / statistics.median(idle):.2f}, p99 "
              f"{pct(during, .99) / pct(idle, .99):.2f}")
    rotating = dataclasses.replace(settings, seal=SealSettings(key=NEW_KEY,
                                                               previous_keys=SECRET))
    async with open_hub(rotating, with_dialogue=False) as hub:
        start = time.perf_counter()
        report = await rotate_seal(hub)
        took = time.perf_counter() - start
        n = sum(report.resealed.values())
        print(f"  rotate-seal       {took:6.2f} s  {n / took:9.0f} values/s  ({n} values)")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--postgres", default=os.environ.get(
        "TONGGUAN_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    print(f"retention: {args.rows} old turn logs and form records, batches of {args.batch}")
    if args.only != "postgres":
        with tempfile.TemporaryDirectory() as tmp:
            await bench("sqlite", f"sqlite+aiosqlite:///{tmp}/bench.db", args.rows, args.batch)
    if args.only == "sqlite":
        return
    async with throwaway_postgres(args.postgres) as url:
        if url is not None:
            await bench("postgres", url, args.rows, args.batch)

if __name__ == "__main__":
    asyncio.run(main())
