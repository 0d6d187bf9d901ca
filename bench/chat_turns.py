"""Chat turns per second over the JSON API, against a bare aiohttp JSON echo.

N simulated community workers each complete ``community_screening`` (11 turns),
``--concurrency`` of them at a time with no pause (saturation: turns/s and the ratio),
then — with ``--think`` — ``--concurrency`` users at a chat pace, each pausing
0.5–1.5 × think seconds before each message (latency at that concurrency).
The server runs in a child process (``tongguan serve`` itself, background workers on),
on SQLite and on PostgreSQL; the echo server runs the same way, before and after each
database (the VM's speed drifts; each ratio is against the mean of the two around it).
The flow is for community workers only: in the set-up, before a run is timed, its users'
sessions are opened (``--concurrency`` at a time; their latencies are reported apart) and
all their chat identities get the role in one ``INSERT`` into ``chat_roles``, as
``tongguan roles grant`` would one by one. Prints turns/s, p50/p99 latency and the ratio
turns/s ÷ echo requests/s. Goals: ratio ≥ 0.35, p99 ≤ 100 ms at 200 concurrent users.
Usage: ``python bench/chat_turns.py [--users 1000] [--concurrency 200]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator

import aiohttp
from _http_load import (
    free_port,
    grant_workers,
    percentile,
    run_users,
    start_process,
    throwaway_postgres,
    wait_ready,
)

#: the screening: district, community, building, … and the confirmation (11 turns)
SCRIPT = ["楼栋排查", "江岸区", "花桥街一村社区", "12号楼", "跳过", "十二", "30", "0", "1", "跳过",
          "确认"]

SERVE = """
from bot.cli import main
main(["serve", "--host", "127.0.0.1", "--port", "%d"])
"""

ECHO = """
import uvloop
from aiohttp import web
from bot.web import serving
async def echo(request):
    body = await request.json()
    return web.json_response({"replies": [{"type": "text", "text": body.get("text", "")}]})
app = web.Application()
app.router.add_post("/echo", echo)
app.router.add_get("/", lambda r: web.Response(text="ok"))
# listens as tongguan serve does: uvloop, backlog 2048, every pending connection accepted
serving.run(app, host="127.0.0.1", port=%d, loop=uvloop.new_event_loop(), backlog=2048,
            shutdown_timeout=5, announce=lambda: None)
"""


async def open_sessions(base: str, users: int, concurrency: int
                        ) -> tuple[list[dict[str, str]], list[float]]:
    """``users`` new sessions (``{"token", "user_key"}``), ``concurrency`` at a time,
    and the latencies of those requests."""
    made: list[dict[str, str]] = []

    async def run(session: aiohttp.ClientSession, latencies: list[float]) -> None:
        start = time.perf_counter()
        async with session.post(base + "/api/v1/sessions") as resp:
            body = await resp.json()
            if resp.status != 201:
                raise RuntimeError(body)
        latencies.append(time.perf_counter() - start)
        made.append(body)

    _, opened = await run_users(users, concurrency, run)
    return made, opened


async def workers(base: str, url: str, users: int, concurrency: int
                  ) -> tuple[Iterator[str], list[float]]:
    """Set-up, not timed: ``users`` sessions of community workers; their tokens and the
    latencies of the session requests."""
    made, opened = await open_sessions(base, users, concurrency)
    await grant_workers(url, [m["user_key"] for m in made])
    await asyncio.sleep(1.1)  # another process's grant is seen within chat_roles.MISS_SECONDS
    return iter([m["token"] for m in made]), opened


async def chat_user(base: str, tokens: Iterator[str], think: float = 0.0):
    """One user's script, each user on the next of ``tokens`` (sessions opened in the
    set-up); ``think`` > 0 waits a random 0.5–1.5 × think between turns."""
    rng = random.Random(7)

    async def run(session: aiohttp.ClientSession, latencies: list[float]) -> None:
        headers = {"Authorization": "Bearer " + next(tokens)}
        for text in SCRIPT:
            if think:
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))
            start = time.perf_counter()
            async with session.post(base + "/api/v1/chat", json={"text": text},
                                    headers=headers) as resp:
                body = await resp.json()
                if resp.status != 200:
                    raise RuntimeError(body)
            latencies.append(time.perf_counter() - start)
        if "已登记" not in body["replies"][-1]["text"]:
            raise RuntimeError(f"flow did not finish: {body}")
    return run


async def echo_user(base: str):
    async def run(session: aiohttp.ClientSession, latencies: list[float]) -> None:
        for text in SCRIPT:
            start = time.perf_counter()
            async with session.post(base + "/echo", json={"text": text}) as resp:
                await resp.json()
            latencies.append(time.perf_counter() - start)
    return run


def report(name: str, seconds: float, latencies: list[float]) -> float:
    rate = len(latencies) / seconds
    print(f"{name:<22} {len(latencies):>6} requests  {rate:8.1f} /s   "
          f"p50 {percentile(latencies, 0.5) * 1000:7.1f} ms   "
          f"p99 {percentile(latencies, 0.99) * 1000:7.1f} ms")
    return rate


async def bench_db(label: str, url: str, users: int, concurrency: int,
                   think: float = 0.0) -> float:
    port = free_port()
    env = {"TONGGUAN_DATABASE_URL": url, "TONGGUAN_LOG_LEVEL": "WARNING",
           "TONGGUAN_FLOWS_RELOAD_SECONDS": "0"}
    proc = start_process(SERVE % port, env)
    try:
        await wait_ready(f"http://127.0.0.1:{port}/healthz", proc)
        base = f"http://127.0.0.1:{port}"
        tokens, _ = await workers(base, url, 5, 5)
        await run_users(5, 5, await chat_user(base, tokens))  # warm-up
        tokens, opened = await workers(base, url, users, concurrency)
        seconds, lat = await run_users(users, concurrency, await chat_user(base, tokens))
        rate = report(f"chat turns ({label})", seconds, lat)
        print(f"  its {len(opened)} session requests (set-up):{' ' * 14}"
              f"p50 {percentile(opened, 0.5) * 1000:7.1f} ms   "
              f"p99 {percentile(opened, 0.99) * 1000:7.1f} ms")
        if think:
            tokens, _ = await workers(base, url, concurrency, concurrency)
            seconds, lat = await run_users(concurrency, concurrency,
                                           await chat_user(base, tokens, think))
            report(f"  {concurrency} users, {think:g}s think", seconds, lat)
        return rate
    finally:
        proc.terminate()
        proc.wait()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1000,
                        help="users completing the flow in all (at most --concurrency "
                             "at once)")
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--think", type=float, default=1.0,
                        help="also run the users with this mean think time between turns "
                             "(seconds; 0 skips): latency at a realistic chat pace")
    parser.add_argument("--postgres", default=os.environ.get(
        "TONGGUAN_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    print(f"chat_turns: {args.users} users x {len(SCRIPT)} turns, "
          f"{args.concurrency} concurrent, server in a child process; the echo runs "
          "before and after each database (the VM's speed drifts), each ratio against "
          "the mean of the two echo runs around it")
    echo = [await echo_rate(args.users, args.concurrency)]
    with tempfile.TemporaryDirectory() as tmp:
        rate = await bench_db("sqlite", f"sqlite+aiosqlite:///{tmp}/bench.db", args.users,
                              args.concurrency, args.think)
    echo.append(await echo_rate(args.users, args.concurrency))
    print(f"ratio sqlite/echo      {rate / statistics.mean(echo[-2:]):.3f}  (goal ≥ 0.35)")
    async with throwaway_postgres(args.postgres) as url:
        if url is None:
            return
        rate = await bench_db("postgres", url, args.users, args.concurrency, args.think)
    echo.append(await echo_rate(args.users, args.concurrency))
    print(f"ratio postgres/echo    {rate / statistics.mean(echo[-2:]):.3f}  (goal ≥ 0.35)")


async def echo_rate(users: int, concurrency: int) -> float:
    """One run of the bare echo (in a child process of its own); its requests/s."""
    port = free_port()
    proc = start_process(ECHO % port)
    try:
        await wait_ready(f"http://127.0.0.1:{port}/", proc)
        base = f"http://127.0.0.1:{port}"
        await run_users(5, 5, await echo_user(base))
        seconds, lat = await run_users(users, concurrency, await echo_user(base))
        return report("bare aiohttp echo", seconds, lat)
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    asyncio.run(main())
