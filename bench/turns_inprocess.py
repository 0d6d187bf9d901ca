"""A chat turn without HTTP: the engine, the conversation store and SQLite alone.

Opens the hub as ``tongguan serve`` does (a throw-away SQLite file, migrated; the
start-up heap frozen and the collector's threshold raised, as the server does), makes
``--users`` chat identities community workers, then runs rounds of the building
screening (``chat_turns.SCRIPT``, 11 turns, confirmation included) for ``--users`` new
users at once, each user's turns one after another, and prints per round the turns/s
and the process's CPU a turn (user + system, every thread: the WAL checkpoint thread
too). Each screening is checked to end with the "已登记" reply. Subtract this from
``bench/saturation.py``'s ``cpu`` of the ``stack`` server to see where a served turn's
CPU goes (issue 18).

Usage: ``python bench/turns_inprocess.py [--users 200] [--rounds 5]``. Figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _http_load import BENCH_SERVER_ENV, grant_workers  # noqa: E402
from _screening import DONE  # noqa: E402
from chat_turns import SCRIPT  # noqa: E402


async def run(url: str, users: int, rounds: int) -> None:
    from bot.assembly import open_hub
    from bot.cli.core_cmds import freeze_startup_heap
    from bot.config import load_settings
    from bot.messages import Inbound

    async with open_hub(load_settings()) as hub:
        engine = hub.require_engine()
        ids = [f"bench{i}" for i in range(users * rounds)]
        await grant_workers(url, [f"web:{i}" for i in ids])
        await asyncio.sleep(1.1)  # a grant is seen within chat_roles.MISS_SECONDS
        freeze_startup_heap()  # the garbage collector set as tongguan serve sets it

        async def screening(user_id: str) -> None:
            for text in SCRIPT:
                replies = await engine.handle(Inbound(channel="web", user_id=user_id,
                                                      kind="text", text=text))
            if DONE not in "".join(r.text for r in replies):
                raise RuntimeError(f"the screening did not end: {replies}")

        cpu_per_turn = []
        for n in range(rounds):
            started, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(*(screening(u) for u in ids[n * users:(n + 1) * users]))
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            turns = users * len(SCRIPT)
            cpu_per_turn.append(1e6 * cpu / turns)
            print(f"round {n + 1}: {turns / wall:7.0f} turns/s  CPU a turn "
                  f"{cpu_per_turn[-1]:5.0f} µs", flush=True)
        print(f"turns_inprocess: CPU a turn median {statistics.median(cpu_per_turn):.0f} µs, "
              f"best {min(cpu_per_turn):.0f} µs ({users} users at once, {rounds} rounds)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        os.environ.update({**BENCH_SERVER_ENV, "TONGGUAN_DATABASE_URL": url,
                           "TONGGUAN_LOG_LEVEL": "WARNING",
                           "TONGGUAN_FLOWS_RELOAD_SECONDS": "0"})
        subprocess.run([sys.executable, "-m", "bot.cli", "db", "upgrade"], cwd=ROOT,
                       check=True, capture_output=True)
        import gc

        import uvloop

        uvloop.run(run(url, args.users, args.rounds))
        gc.unfreeze()  # else extension types frozen with the heap report "leaks" at exit


if __name__ == "__main__":
    main()
