"""The operations view on PostgreSQL: summary latency at city scale, and chat turns with
200 dashboards streaming.

Set-up (not timed): a throw-away database, the server (``tongguan serve``, background
workers on) in a child process, and the counts of 1,000,000 declarations and 100,000
reservations over 14 days, 6 districts, 40 streets each and ``--buildings`` buildings a
street (half of a street's declarations name their building), plus a screening of every
building every day, written straight into ``ops_counts`` with ``COPY`` (what the hooks
and the fold would have left; the summary reads only those — the declarations, holds and
records tables are not read by it, so they are not filled), plus an admin account. Then:

1. ``GET /api/v1/ops/summary`` (city, and one district), ``--summary-concurrency`` at a
   time, nothing being written: rate, p50/p99 (goal: p99 ≤ 50 ms), the JSON's size;
   then ``GET /api/v1/ops/buildings`` (a page of 50, city and one district).
2. The same for the city while ``--concurrency`` community workers complete screenings
   (each saved record is a change, so a summary asked after one waits for the snapshot
   to take it in): p50/p99 under writes, next to ``/healthz`` (one database query)
   asked meanwhile, which shows how long any request waits in the busy server.
3. Chat turns (the screening flow of bench/chat_turns.py) without, then with 200 open
   ``/api/v1/ops/stream`` connections (which receive every change the turns make),
   alternating (``--rounds`` runs with streams, each between two without: the VM
   drifts): turns/s and the server's CPU a turn, each with ÷ the mean of the runs
   without (goals: turns/s ≥ 0.95, CPU ≤ 1.05), and how many stream messages (and
   bytes) arrived.

The load generator and the 200 stream readers (a process of their own, as the browsers
would be) run on the same machine as the server and PostgreSQL (2 shared cores here):
their own CPU is part of what the streams cost.
Usage: ``python bench/ops.py [--users 1000] [--concurrency 50] [--streams 200]
[--rounds 2] [--buildings 5] [--declarations 1000000]``; a quicker run: ``--users 200
--rounds 1 --buildings 0``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import time
from datetime import date, timedelta
from typing import Any

import aiohttp
from _http_load import (
    cpu_seconds,
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


def _declared(n: int) -> list[tuple[str, int]]:
    """``n`` declarations by colour, and those in home quarantine."""
    return [("decl.total", n), ("decl.green", n * 8 // 10), ("decl.yellow", n // 10),
            ("decl.red", n - n * 9 // 10), ("quarantine.home", n // 20)]


SCREENED = [("screen.records", 1), ("screen.households", 12), ("screen.home", 30),
            ("screen.quarantine", 1), ("screen.returned", 1)]  #: one building's screening


async def fill(url: str, declarations: int, reservations: int, buildings: int) -> None:
    """Counts as a city of ``declarations`` and ``reservations`` over 14 days would leave
    (``buildings`` a street, each screened once a day)."""
    import asyncpg

    today = date.today()
    rows: list[tuple[date, str, str, str, str, int]] = []
    per_street = declarations // (14 * len(DISTRICTS) * 40)
    per_building = per_street // 2 // max(buildings, 1)
    per_res = reservations // (14 * len(DISTRICTS))
    for d in range(14):
        day = today - timedelta(days=d)
        for district in DISTRICTS:
            for s in range(40):
                street = f"街道{s:02d} 社区{s:02d}"
                for b in range(buildings):
                    place = f"{b + 1}号楼"
                    rows += [(day, district, street, place, m, n)
                             for m, n in (*_declared(per_building), *SCREENED)]
                rows += [(day, district, street, "", m, n)
                         for m, n in _declared(per_street - per_building * buildings)]
            rows += [(day, district, "", "", m, n) for m, n in (
                ("res.reserved", per_res), ("res.picked_up", per_res * 7 // 10),
                ("res.expired", per_res // 5), ("codes.issued", per_street * 40))]
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.copy_records_to_table(
            "ops_counts", records=rows,
            columns=["day", "district", "street", "place", "metric", "n"])
        await conn.execute("ANALYZE ops_counts")
    finally:
        await conn.close()
    print(f"filled {len(rows):,} count rows for {declarations:,} declarations, "
          f"{reservations:,} reservations, {buildings} buildings a street "
          f"({14 * len(DISTRICTS) * 40 * buildings:,} building-days screened)")


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


async def summaries(base: str, token: str, n: int, concurrency: int, query: str,
                    path: str = "/api/v1/ops/summary", label: str = "") -> None:
    headers = {"Authorization": f"Bearer {token}"}
    size = [0]

    async def run(session: aiohttp.ClientSession, latencies: list[float]) -> None:
        start = time.perf_counter()
        async with session.get(base + path + query, headers=headers) as r:
            size[0] = len(await r.read())
            if r.status != 200:
                raise RuntimeError(r.status)
        latencies.append(time.perf_counter() - start)

    seconds, lat = await run_users(n, concurrency, run)
    report(f"{path.rsplit('/', 1)[1]} {query or '(city)'} {label}", seconds, lat)
    if label:
        return
    print(f"  p99 {percentile(lat, 0.99) * 1000:.1f} ms (goal ≤ 50 ms); the JSON is "
          f"{size[0] / 1024:,.0f} KiB")


async def busy_summaries(base: str, token: str, concurrency: int,
                         writing: asyncio.Task[float]) -> None:
    """City summaries, ``concurrency`` at a time, for as long as ``writing`` runs."""
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    baseline: list[float] = []  #: /healthz (one database query) meanwhile, one at a time
    async with aiohttp.ClientSession() as session:
        async def one(path: str, into: list[float]) -> None:
            while not writing.done():
                start = time.perf_counter()
                async with session.get(base + path, headers=headers) as r:
                    await r.read()
                    if r.status != 200:
                        raise RuntimeError(r.status)
                into.append(time.perf_counter() - start)

        start = time.perf_counter()
        await asyncio.gather(*(one("/api/v1/ops/summary", latencies)
                               for _ in range(concurrency)), one("/healthz", baseline))
        report("summary (city) while screenings are saved", time.perf_counter() - start,
               latencies)
        report("  baseline: /healthz meanwhile", time.perf_counter() - start, baseline)
    print(f"  p99 {percentile(latencies, 0.99) * 1000:.1f} ms (goal ≤ 50 ms); "
          f"/healthz p99 {percentile(baseline, 0.99) * 1000:.1f} ms in the same server")


async def streams(base: str, token: str, count: int, received: Any, ready: Any) -> None:
    """``count`` open streams; ``received``: [events, bytes] so far."""
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
                # chunks, not lines: a summary is one line of up to megabytes, more than
                # aiohttp's line limit; an event starts a line with "data: " (JSON
                # escapes its own newlines)
                tail = b"\n"
                async for chunk in resp.content.iter_any():
                    received[0] += (tail + chunk).count(b"\ndata: ")
                    received[1] += len(chunk)
                    tail = chunk[-6:]

        await asyncio.gather(*(one() for _ in range(count)))


def _readers(base: str, token: str, count: int, received: Any, ready: Any) -> None:
    """The dashboards' process: :func:`streams` until terminated."""
    asyncio.run(streams(base, token, count, received, ready))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1000,
                        help="screenings a chat run completes")
    parser.add_argument("--rounds", type=int, default=2,
                        help="runs with streams (each between two without)")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--summary-concurrency", type=int, default=10,
                        help="dashboards asking at once (a dashboard asks once, then streams)")
    parser.add_argument("--declarations", type=int, default=1_000_000)
    parser.add_argument("--reservations", type=int, default=100_000)
    parser.add_argument("--buildings", type=int, default=5, help="buildings a street")
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
            await fill(url, args.declarations, args.reservations, args.buildings)
            token = await admin_token(base, url)
            await summaries(base, token, 200, 10, "", label="(warm-up)")
            for query in ("", "?district=wuchang"):
                await summaries(base, token, 3000, args.summary_concurrency, query)
            for query in ("?limit=50", "?district=wuchang&limit=50&sort=people_returned"):
                await summaries(base, token, 1000, args.summary_concurrency, query,
                                "/api/v1/ops/buildings")
            tokens, _ = await workers(base, url, 20, 20)
            await run_users(20, 20, await chat_user(base, tokens))  # warm-up

            async def chat(label: str) -> tuple[float, float]:
                """Turns/s, and the server's CPU seconds a turn."""
                tokens, _ = await workers(base, url, args.users, args.concurrency)
                cpu = cpu_seconds({proc.pid})
                seconds, lat = await run_users(args.users, args.concurrency,
                                               await chat_user(base, tokens))
                per_turn = (cpu_seconds({proc.pid}) - cpu) / len(lat)
                rate = report(f"chat turns, {label}", seconds, lat)
                print(f"  server CPU {per_turn * 1000:.3f} ms a turn")
                return rate, per_turn

            writing = asyncio.create_task(chat("summaries asked"))
            await busy_summaries(base, token, args.summary_concurrency, writing)
            without = [await chat("no streams")]
            with_streams: list[tuple[float, float]] = []
            during = sent = 0
            for _ in range(args.rounds):  # without, with, without, …: the VM drifts
                # the dashboards read in a process of their own (as browsers would, not
                # in the load generator's event loop); their CPU is still this machine's
                received, ready = multiprocessing.Array("q", 2), multiprocessing.Event()
                readers = multiprocessing.Process(target=_readers, args=(
                    base, token, args.streams, received, ready), daemon=True)
                readers.start()
                if not await asyncio.to_thread(ready.wait, 60):
                    raise RuntimeError("the streams did not open")
                await asyncio.sleep(1)  # the first events (whole summaries) sent
                at_start, bytes_at_start = received[0], received[1]
                with_streams.append(await chat(f"{args.streams} streams"))
                during += received[0] - at_start
                sent += received[1] - bytes_at_start
                if not readers.is_alive():  # a dashboard's stream failed
                    raise RuntimeError("streams ended early")
                readers.terminate()
                readers.join()
                without.append(await chat("no streams"))

            def mean(runs: list[tuple[float, float]], i: int) -> float:
                return sum(r[i] for r in runs) / len(runs)

            rate = mean(with_streams, 0) / mean(without, 0)
            cpu = mean(with_streams, 1) / mean(without, 1)
            per = args.streams * args.rounds
            print(f"  turns/s with ÷ without streams: {rate:.3f} (goal ≥ 0.95; "
                  f"{len(with_streams)} runs with, {len(without)} without, alternating)")
            print(f"  server CPU a turn with ÷ without: {cpu:.3f} (goal ≤ 1.05: "
                  f"{mean(with_streams, 1) * 1000:.3f} against "
                  f"{mean(without, 1) * 1000:.3f} ms; what the streams cost the server, "
                  f"whatever share of the shared machine it got)")
            print(f"  stream messages received while the turns ran: {during:,} "
                  f"({during / per:.1f} per dashboard and run, "
                  f"{sent / per / 1024:,.0f} KiB per dashboard and run)")
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    asyncio.run(main())
