"""What a handoff costs a chat turn (issue 15 §3), in process, on SQLite and PostgreSQL.

Three groups of ``--users`` users each send ``--turns`` messages ("在吗？"),
``--concurrency`` turns at a time, through the real engine (``open_hub``):

* **none** — users who never asked for a person: the baseline (no handoff query);
* **open** — users whose request waits: one primary-key read a turn, the bot answers;
* **claimed** — users a staff member has claimed: the message goes to the thread (a read
  and a write), the bot stays silent.

Prints turns/s and p50/p99 per group and each rate as a ratio to the baseline measured
in the same run. Figures only, never pass/fail. PostgreSQL: a throw-away database at
``TONGGUAN_TEST_POSTGRES_URL`` (default the local server).
Usage: ``python bench/handoff_routing.py [--users 200] [--turns 5] [--concurrency 50]``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _http_load import percentile, throwaway_postgres  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TEXT = "在吗？"


async def _turns(hub, users: list[str], turns: int,  # type: ignore[no-untyped-def]
                 concurrency: int) -> tuple[float, list[float]]:
    from bot.messages import Inbound

    gate = asyncio.Semaphore(concurrency)
    took: list[float] = []

    async def one(user: str) -> None:
        for _ in range(turns):
            async with gate:
                began = time.perf_counter()
                await hub.engine.handle(Inbound(channel="web", user_id=user, text=TEXT))
                took.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(one(u) for u in users))
    return len(took) / (time.perf_counter() - began), took


async def measure(url: str, label: str, args: argparse.Namespace, keys: Path) -> None:
    from bot.assembly import open_hub
    from bot.config import load_settings
    from bot.db.migrate import upgrade
    from bot.messages import Inbound
    from bot.services.handoffs import handoffs
    from bot.services.handoffs.inbox import claim
    from bot.services.staff import StaffPrincipal

    settings = dataclasses.replace(
        load_settings(ROOT / "config.yml", env={}), database_url=url,
        secret_key="bench-secret-" + "x" * 40, flows_dir=ROOT / "flows",
        intents_dir=ROOT / "intents", keys_dir=keys, flows_reload_seconds=0.0)
    await asyncio.to_thread(upgrade, url)
    operator = StaffPrincipal(1, "bench", "operator", None, None)
    async with open_hub(settings) as hub:
        groups = {g: [f"{g}-{i}" for i in range(args.users)] for g in ("none", "open",
                                                                        "claimed")}
        for group in ("open", "claimed"):  # set-up, not timed
            for user in groups[group]:
                await hub.engine.handle(Inbound(channel="web", user_id=user, text="转人工"))
        for row in await handoffs(hub).list("open"):
            if row.user_key.startswith("web:claimed-"):
                await claim(handoffs(hub), operator, row.id)
        for user in groups["none"]:  # the same warm conversations everywhere
            await hub.engine.handle(Inbound(channel="web", user_id=user, text="你好"))
        rates: dict[str, float] = {}
        for group, users in groups.items():
            rate, took = await _turns(hub, users, args.turns, args.concurrency)
            rates[group] = rate
            p50, p99 = percentile(took, 0.5) * 1000, percentile(took, 0.99) * 1000
            print(f"{label:8} {group:8} {rate:8.0f} turns/s  p50 {p50:6.1f} ms  "
                  f"p99 {p99:6.1f} ms  ratio {rate / rates['none']:.2f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    print(f"{args.users} users a group × {args.turns} turns, {args.concurrency} at a time")
    with tempfile.TemporaryDirectory() as tmp:
        await measure(f"sqlite+aiosqlite:///{tmp}/bench.db", "sqlite", args, Path(tmp) / "k")
        admin = os.environ.get("TONGGUAN_TEST_POSTGRES_URL",
                               "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
        async with throwaway_postgres(admin) as url:
            if url is not None:
                await measure(url, "postgres", args, Path(tmp) / "k")


if __name__ == "__main__":
    asyncio.run(main())
