"""Chat turns/s on PostgreSQL with ``tongguan serve --workers 1`` vs ``--workers 2``.

The same load as bench/chat_turns.py (community workers completing
``community_screening``, 11 turns each, ``--concurrency`` at a time, no pause) against
one server process and against two worker processes under gunicorn on the one port,
each on a fresh PostgreSQL database. Prints turns/s, p50/p99 and the ratio
two ÷ one. The load generator runs on the same machine: on a 2-core VM it takes a
core's share itself, so the ratio understates what a second core gives a server with
its own machine; the VM is shared, so figures are noisy (run it twice).
Usage: ``python bench/workers.py [--users 300] [--concurrency 100]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os

from _http_load import free_port, run_users, start_process, throwaway_postgres, wait_ready
from chat_turns import SCRIPT, chat_user, report, workers

SERVE = """
from bot.cli import main
main(["serve", "--host", "127.0.0.1", "--port", "%d", "--workers", "%d"])
"""


async def bench(url: str, processes: int, users: int, concurrency: int) -> float:
    port = free_port()
    env = {"TONGGUAN_DATABASE_URL": url, "TONGGUAN_LOG_LEVEL": "WARNING",
           "TONGGUAN_FLOWS_RELOAD_SECONDS": "0", "TONGGUAN_RATE_LIMITS_ENABLED": "false"}
    proc = start_process(SERVE % (port, processes), env)
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_ready(base + "/readyz", proc)
        tokens, _ = await workers(base, url, 20, 10)
        await run_users(20, 10, await chat_user(base, tokens))  # warm every worker up
        tokens, _ = await workers(base, url, users, concurrency)
        seconds, lat = await run_users(users, concurrency, await chat_user(base, tokens))
        return report(f"{processes} process{'es' if processes > 1 else ''}", seconds, lat)
    finally:
        proc.terminate()
        proc.wait()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--postgres", default=os.environ.get(
        "TONGGUAN_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    print(f"workers: {args.users} users x {len(SCRIPT)} turns, {args.concurrency} concurrent, "
          f"PostgreSQL, {os.cpu_count()} cores shared with the load generator (noisy)")
    rates = {}
    for processes in (1, 2):
        async with throwaway_postgres(args.postgres) as url:
            if url is None:
                return
            rates[processes] = await bench(url, processes, args.users, args.concurrency)
    print(f"ratio 2/1 processes    {rates[2] / rates[1]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
