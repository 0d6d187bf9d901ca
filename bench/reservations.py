"""Reservation throughput: one hot store and 1,000 stores, 32 and 64 clients.

Each reservation is by a resident whose ID number is already bound to their chat identity
(bound before the clock starts, as after a first reservation or declaration): the
steady state of the hot path. One more line per database, ``first``, times first
reservations, which bind the ID number (or record the dependant) in the same transaction.

Prints reservations/s, p99 latency, the oversold count (must be 0), this process's CPU
per reservation (the server's own is not counted on PostgreSQL) and the ratio to a
raw SQL conditional-UPDATE baseline run in the same process on the same database. On
SQLite the baseline runs as the engine does: one connection (WAL, synchronous=NORMAL),
``BEGIN IMMEDIATE; UPDATE; COMMIT`` inline, no thread hop; on PostgreSQL, the pool.

    python bench/reservations.py [--requests 3000] [--only sqlite|postgres]

PostgreSQL is the server at ``TONGGUAN_TEST_POSTGRES_URL`` (default the local one,
postgresql+asyncpg://postgres@127.0.0.1:5432/postgres), as in the other benches; a
throw-away database is created there and dropped.

Figures only; it never passes or fails on time.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import random
import secrets
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.actions import ActionRegistry  # noqa: E402
from bot.clock import CITY_TZ, FixedClock  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.db.database import make_database  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.db.models.declarations import HealthSubject  # noqa: E402
from bot.hub import Hub  # noqa: E402
from bot.privacy import Sealer  # noqa: E402
from bot.services.outbox import Outbox  # noqa: E402
from bot.services.reservations import (  # noqa: E402
    ReservationError,
    ReserveRequest,
    SupplyContext,
    balances,
    compute_releases,
    import_stores,
    load_rules,
    reserve,
    set_capacity,
)
from bot.services.reservations.identity import fake_id  # noqa: E402
from bot.services.reservations.service import supply_context  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-0123456789abcdef0123456789abcdef"


def stores_csv(n: int) -> str:
    rnd = random.Random(7)
    rows = ["code,name,address,district,lat,lng,opening_hours,weight"]
    for i in range(n):
        rows.append(f"B{i:05d},店{i},路{i}号,区{i % 16},{30.59 + rnd.uniform(-.2, .2):.5f},"
                    f"{114.31 + rnd.uniform(-.2, .2):.5f},08:00-21:00,1")
    return "\n".join(rows) + "\n"


async def setup_db(url: str, stores: int, supply: int, keys: Path) -> SupplyContext:
    from datetime import UTC, datetime

    await asyncio.to_thread(upgrade, url)
    db = make_database(url, pool_size=16)
    sealer = Sealer(SECRET)
    clock = FixedClock(datetime(2020, 2, 4, 13, 0, tzinfo=CITY_TZ).astimezone(UTC))
    settings = dataclasses.replace(load_settings(ROOT / "config.yml", env={}),
                                   database_url=url, secret_key=SECRET, keys_dir=keys)
    hub = Hub(settings=settings, db=db, sealer=sealer, clock=clock, actions=ActionRegistry(),
              outbox=Outbox(db, sealer, clock))  # binding reads the declarations' settings
    ctx = supply_context(hub, load_rules(ROOT / "supply_rules.yml"))
    await import_stores(ctx, stores_csv(stores))
    await set_capacity(ctx, "mask-adult", clock.now().astimezone(CITY_TZ).date(), supply)
    await compute_releases(ctx, clock.now().astimezone(CITY_TZ).date())
    async with db.engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE IF NOT EXISTS bench_stock "
                                   "(id INTEGER PRIMARY KEY, remaining INTEGER NOT NULL)"))
        await conn.execute(sa.text("DELETE FROM bench_stock"))
        await conn.execute(sa.text("INSERT INTO bench_stock VALUES (1, :n)"), {"n": supply})
    return ctx


async def run_clients(clients: int, jobs: list, fn) -> tuple[float, list[float], list]:  # type: ignore[no-untyped-def]
    queue = list(reversed(jobs))
    latencies: list[float] = []
    results: list = []

    async def client() -> None:
        while queue:
            job = queue.pop()
            t0 = time.perf_counter()
            results.append(await fn(job))
            latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - start, latencies, results


def p99(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.99))] * 1000


async def bind_all(ctx: SupplyContext, reqs: list[ReserveRequest]) -> None:
    """Each ID number bound to its requester, as a first reservation leaves it."""
    now = ctx.clock.now()
    rows = [{"subject": secrets.token_urlsafe(9), "created_at": now, "bound_at": now,
             "id_index": ctx.sealer.blind_index("id_number", r.id_number),
             "bound_key": f"{r.channel}:{r.user_id}"} for r in reqs]
    async with ctx.db.sessions.begin() as session:
        await session.execute(sa.insert(HealthSubject), rows)


async def bench(url: str, label: str, stores: int, clients: int, requests: int,
                first: bool = False) -> None:
    supply = int(requests * 0.9)  # the last tenth meets "sold out": oversell would show
    with tempfile.TemporaryDirectory() as keys:
        ctx = await setup_db(url, stores, supply if stores == 1 else requests * 2, Path(keys))
        await run_bench(ctx, label + (" first" if first else ""), stores, clients, requests,
                        first)


async def run_bench(ctx: SupplyContext, label: str, stores: int, clients: int, requests: int,
                    first: bool) -> None:
    codes = [f"B{i:05d}" for i in range(stores)]
    run = secrets.token_hex(3)

    reqs = [ReserveRequest("mask-adult", codes[i % stores], 1, "测试", fake_id(i, last_odd=False),
                           "bench", f"{run}-{i}") for i in range(requests)]  # not timed
    if not first:
        await bind_all(ctx, reqs)

    async def one(i: int) -> str:
        try:
            await reserve(ctx, reqs[i])
            return "ok"
        except ReservationError as err:
            return err.code

    await ctx.product_ids()
    cpu0 = time.process_time()
    took, lat, res = await run_clients(clients, list(range(requests)), one)
    cpu = (time.process_time() - cpu0) / requests * 1e6  # this process: µs per reservation
    ok = res.count("ok")
    books = await balances(ctx)
    oversold = sum(max(0, b.active - b.released) for b in books) + sum(
        1 for b in books if b.remaining < 0 or not b.balanced)

    update = "UPDATE bench_stock SET remaining = remaining - 1 WHERE id = 1 AND remaining >= 1"
    lite_conn = ctx.db.inline_sqlite()  # None on PostgreSQL

    async def raw(_: int) -> int:
        if lite_conn is not None:  # as the engine runs on SQLite: one connection, inline
            lite_conn.execute("BEGIN IMMEDIATE")
            n = lite_conn.execute(update).rowcount
            lite_conn.execute("COMMIT")
            await asyncio.sleep(0)  # let the other clients in, as the engine's awaits do
            return n
        async with ctx.db.engine.begin() as conn:
            return (await conn.execute(sa.text(update))).rowcount

    base_took, base_lat, _ = await run_clients(clients, list(range(requests)), raw)
    rate, base_rate = requests / took, requests / base_took
    print(f"{label:14} stores={stores:<5} clients={clients:<3} reservations/s={rate:8.0f} "
          f"(ok={ok}, refused={requests - ok}) p99={p99(lat):7.1f} ms oversold={oversold} "
          f"baseline/s={base_rate:8.0f} p99={p99(base_lat):6.1f} ms ratio={rate / base_rate:.2f} "
          f"cpu/reserve={cpu:5.0f} µs")
    await ctx.db.dispose()


async def pg_database(admin: str) -> tuple[str, str]:
    import asyncpg

    name = f"tongguan_bench_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(admin.replace("postgresql+asyncpg://", "postgresql://"))
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return admin.rsplit("/", 1)[0] + "/" + name, name


async def pg_drop(admin: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin.replace("postgresql+asyncpg://", "postgresql://"))
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    admin: str | None = os.environ.get(
        "TONGGUAN_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    runs = [(stores, clients, False) for stores in (1, 1000) for clients in (32, 64)]
    for stores, clients, first in [*runs, (1000, 32, True)]:
        if args.only != "postgres":
            with tempfile.TemporaryDirectory() as tmp:
                await bench(f"sqlite+aiosqlite:///{tmp}/bench.db", "sqlite", stores,
                            clients, args.requests, first)
        if admin and args.only != "sqlite":
            try:
                url, name = await pg_database(admin)
            except OSError as err:
                print(f"postgres: not measured ({err})")
                admin = None
                continue
            try:
                await bench(url, "postgres", stores, clients, args.requests, first)
            finally:
                await pg_drop(admin, name)


if __name__ == "__main__":
    asyncio.run(main())
