"""The operations view on PostgreSQL: summary latency at city scale, and chat turns with
200 dashboards streaming.

Set-up (not timed): a throw-away database, the server (``tongguan serve``, background
workers on) in a child process, and the counts of 1,000,000 declarations and 100,000
reservations over 14 days, 6 districts and 40 streets each, written straight into
``ops_counts`` (what the hooks and the fold would have left; the summary reads only
those), plus an admin account. Then:

1. ``GET /api/v1/ops/summary`` (city, and one district), ``--summary-concurrency`` at a
   time: rate, p50/p99 (goal: p99 ≤ 50 ms).
2. Chat turns (the screening flow of bench/chat_turns.py) without and then with 200 open
   ``/api/v1/ops/stream`` connections, which receive every change the turns make (each
   saved record counts): turns/s and the ratio with ÷ without (goal ≥ 0.95), and how many
   stream messages arrived.

Usage: ``python bench/ops.py [--users 300] [--concurrency 50] [--streams 200]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from datetime import date, timedelta

import aiohttp
from _http_load import (
    free_port,
    percentile,
    run_users,
    start_process,
    throwaway_postgres,
    wait_ready,
)
from chat_turns import SERVE, chat_user, report, workers

PG_ADMIN = os.environ.get("TONGGUAN_BENCH_POSTGRES_URL",
                          "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
DISTRICTS = ["jiangan", "jianghan", "qiaokou", "hanyang", "wuchang", "hongshan"]
PASSWORD = "bench password 0123"


async def fill(url: str, declarations: int, reservations: int) -> None:
    """Counts as a city of ``declarations`` and ``reservations`` over 14 days would leave."""
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.db.models.ops import OpsCount

    today = date.today()
    rows, cells = [], 14 * len(DISTRICTS) * 40
    per_decl, per_res = declarations // cells, reservations // (14 * len(DISTRICTS))
    for d in range(14):
        day = today - timedelta(days=d)
        for district in DISTRICTS:
            for s in range(40):
                street = f"街道{s:02d}"
                for metric, n in (("decl.total", per_decl), ("decl.green", per_decl * 8 // 10),
                                  ("decl.yellow", per_decl // 10),
                                  ("decl.red", per_decl - per_decl * 9 // 10),
                                  ("quarantine.home", per_decl // 20)):
                    rows.append({"day": day, "district": district, "street": street,
                                 "place": "", "metric": metric, "n": n})
            for metric, n in (("res.reserved", per_res), ("res.picked_up", per_res * 7 // 10),
                              ("res.expired", per_res // 5), ("codes.issued", per_decl * 40)):
                rows.append({"day": day, "district": district, "street": "", "place": "",
                             "metric": metric, "n": n})
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for at in range(0, len(rows), 2000):
                await conn.execute(sa.insert(OpsCount), rows[at:at + 2000])
    finally:
        await engine.dispose()
    print(f"filled {len(rows)} count rows for {declarations:,} declarations and "
          f"{reservations:,} reservations")


async def admin_token(base: str, url: str) -> str:
    from bot.config import load_settings
    from bot.hub import open_base_hub
    from bot.services.staff import add_account

    settings = load_settings(env={**os.environ, "TONGGUAN_DATABASE_URL": url})
    async with open_base_hub(settings) as hub:
        await add_account(hub, "benchadmin", "admin", PASSWORD)
    async with aiohttp.ClientSession() as s, s.post(base + "/api/v1/staff/sessions", json={
            "username": "benchadmin", "password": PASSWORD}) as resp:
        return str((await resp.json())["token"])


async def summaries(base: str, token: str, n: int, concurrency: int, query: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}

    async def run(session: aiohttp.ClientSession, latencies: list[float]) -> None:
        start = time.perf_counter()
        async with session.get(base + "/api/v1/ops/summary" + query, headers=headers) as r:
            await r.read()
            if r.status != 200:
                raise RuntimeError(r.status)
        latencies.append(time.perf_counter() - start)

    seconds, lat = await run_users(n, concurrency, run)
    report(f"summary {query or '(city)'}", seconds, lat)
    print(f"  p99 {percentile(lat, 0.99) * 1000:.1f} ms (goal ≤ 50 ms)")


async def streams(base: str, token: str, count: int, received: list[int],
                  ready: asyncio.Event) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    opened = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        async def one() -> None:
            nonlocal opened
            async with session.get(base + "/api/v1/ops/stream", headers=headers,
                                   timeout=aiohttp.ClientTimeout(total=None)) as resp:
                opened += 1
                if opened == count:
                    ready.set()
                async for line in resp.content:
                    if line.startswith(b"data: "):
                        received[0] += 1

        await asyncio.gather(*(one() for _ in range(count)))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--summary-concurrency", type=int, default=10,
                        help="dashboards asking at once (a dashboard asks once, then streams)")
    parser.add_argument("--declarations", type=int, default=1_000_000)
    parser.add_argument("--reservations", type=int, default=100_000)
    args = parser.parse_args()
    async with throwaway_postgres(PG_ADMIN) as url:
        if url is None:
            return
        port = free_port()
        proc = start_process(SERVE % port, {"TONGGUAN_DATABASE_URL": url,
                                            "TONGGUAN_LOG_LEVEL": "WARNING",
                                            "TONGGUAN_FLOWS_RELOAD_SECONDS": "0"})
        try:
            base = f"http://127.0.0.1:{port}"
            await wait_ready(base + "/healthz", proc)
            await fill(url, args.declarations, args.reservations)
            token = await admin_token(base, url)
            await summaries(base, token, 200, 10, "")  # warm-up
            for query in ("", "?district=wuchang"):
                await summaries(base, token, 3000, args.summary_concurrency, query)
            tokens, _ = await workers(base, url, 20, 20)
            await run_users(20, 20, await chat_user(base, tokens))  # warm-up
            tokens, _ = await workers(base, url, args.users, args.concurrency)
            seconds, lat = await run_users(args.users, args.concurrency,
                                           await chat_user(base, tokens))
            without = report("chat turns, no streams", seconds, lat)
            received, ready = [0], asyncio.Event()
            task = asyncio.create_task(streams(base, token, args.streams, received, ready))
            await asyncio.wait_for(ready.wait(), 60)
            tokens, _ = await workers(base, url, args.users, args.concurrency)
            seconds, lat = await run_users(args.users, args.concurrency,
                                           await chat_user(base, tokens))
            with_streams = report(f"chat turns, {args.streams} streams", seconds, lat)
            task.cancel()
            print(f"  ratio with ÷ without streams: {with_streams / without:.3f} "
                  f"(goal ≥ 0.95); stream messages received: {received[0]:,} "
                  f"({received[0] / args.streams:.1f} per dashboard)")
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    asyncio.run(main())
