"""Business-resumption filings under load (issue 14 §5).

1. **Filing day**: 5,000 firms file at once through the JSON API (each opens a resident
   session, then ``POST /api/v1/filings``), 200 connections, against ``tongguan serve``
   in a child process on PostgreSQL (a throw-away database at
   ``TONGGUAN_TEST_POSTGRES_URL``, default the local server) and on SQLite. Prints the
   wall time for all of them, filings/s and the filing request's p50 / p99.
   Goal: all 5,000 in under 60 s on the 2-core machine.
2. **Reviewing at 100,000 filings**: the database is filled with 100,000 filings
   (straight SQL, not timed), then a district reviewer's queue (``GET /api/v1/filings``
   with filters and cursors) and the city's rate (``GET
   /api/v1/stats/resumption?by=district|industry``) are asked one at a time. Goals: queue
   p99 ≤ 50 ms, stats p99 ≤ 100 ms.

Figures only; it never passes or fails on time. ``--firms N`` and ``--rows N`` scale it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _http_load import (  # noqa: E402
    free_port,
    percentile,
    run_users,
    start_process,
    stderr_tail,
    throwaway_postgres,
    wait_ready,
)

SERVE = """
from bot.cli import main
main(["serve", "--host", "127.0.0.1", "--port", "%d"])
"""
SECRET = "bench-secret-" + "x" * 40
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
DISTRICTS = ("jiangan", "jianghan", "qiaokou", "hanyang", "wuchang", "hongshan")
INDUSTRIES = ("manufacturing", "retail", "catering", "construction", "logistics", "services")
PASSWORD = "bench reviewer password"


def uscc(n: int) -> str:
    first = f"91420100{n:09d}"
    total = sum(ALPHABET.index(c) * w for c, w in zip(first, WEIGHTS, strict=True))
    return first + ALPHABET[(31 - total % 31) % 31]


def body(n: int) -> dict[str, object]:
    return {
        "firm_name": f"武汉第{n}号企业", "uscc": uscc(n),
        "industry": INDUSTRIES[n % len(INDUSTRIES)], "district": DISTRICTS[n % len(DISTRICTS)],
        "street": "花桥街", "address": f"解放大道 {n} 号", "contact_name": "王小明",
        "contact_phone": "13812345678", "staff_total": 100, "staff_returning": 60,
        "staff_origins": [{"province": "湖北", "city": "武汉", "count": 40},
                          {"province": "河南", "city": "信阳", "count": 20}],
        "staff_risk_14d": n % 3, "isolation_rooms": n % 2, "prevention_lead": "李防疫",
        "supplies_days": {"masks": 3 + n % 20, "thermometers": 30, "disinfectant": 30},
        "planned_start": (date.today() + timedelta(days=7)).isoformat(),
        "capacity_percent": 50, "needs": ["raw_materials"], "pledge": True}


def env_for(url: str, keys: str) -> dict[str, str]:
    return {"TONGGUAN_DATABASE_URL": url, "TONGGUAN_LOG_LEVEL": "WARNING",
            "TONGGUAN_FLOWS_RELOAD_SECONDS": "0", "TONGGUAN_KEYS_DIR": keys,
            "TONGGUAN_SECRET_KEY": SECRET}


def line(name: str, values: list[float]) -> None:
    print(f"  {name:<34} {len(values):>6}   p50 {percentile(values, 0.5) * 1000:7.1f} ms   "
          f"p99 {percentile(values, 0.99) * 1000:7.1f} ms")


async def filing_day(label: str, url: str, firms: int, concurrency: int) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as keys:
        proc = start_process(SERVE % port, env_for(url, keys))
        try:
            base = f"http://127.0.0.1:{port}"
            await wait_ready(f"{base}/healthz", proc)
            numbers = iter(range(1, firms + 1))
            failed: list[int] = []
            filing_latency: list[float] = []

            async def firm(session: aiohttp.ClientSession, latencies: list[float]) -> None:
                n = next(numbers)
                async with session.post(f"{base}/api/v1/sessions") as resp:
                    token = (await resp.json())["token"]
                start = time.perf_counter()
                async with session.post(f"{base}/api/v1/filings", json=body(n),
                                        headers={"Authorization": f"Bearer {token}"}) as resp:
                    await resp.read()
                    if resp.status != 201:
                        failed.append(resp.status)
                filing_latency.append(time.perf_counter() - start)

            seconds, _ = await run_users(firms, concurrency, firm)
            print(f"{label}: {firms} firms filed in {seconds:.1f} s "
                  f"({firms / seconds:.0f} filings/s), {len(failed)} failed "
                  f"{sorted(set(failed)) if failed else ''}")
            line("POST /api/v1/filings", filing_latency)
            if failed:  # what the server said about it
                print("  server log (tail):\n" + stderr_tail(proc, 1500))
        finally:
            proc.terminate()
            proc.wait()


async def fill(url: str, rows: int) -> None:
    """``rows`` filings (all states, every district and industry), one reviewer account."""
    import dataclasses

    import sqlalchemy as sa

    from bot.config import load_settings
    from bot.db.migrate import upgrade_async
    from bot.db.models.filings import Filing, FilingFlag
    from bot.db.models.firms import FirmProgress, ResumptionCount
    from bot.hub import open_base_hub
    from bot.services.staff import add_account

    root = Path(__file__).resolve().parent.parent
    settings = dataclasses.replace(load_settings(root / "config.yml", env={}),
                                   database_url=url, secret_key=SECRET)
    async with open_base_hub(settings) as hub:
        await upgrade_async(hub.db.engine)
        await add_account(hub, "bench-rev", "reviewer", PASSWORD, district="jiangan")
        await add_account(hub, "bench-admin", "admin", PASSWORD)
        sealed = hub.sealer.seal({"contact_name": "王小明", "contact_phone": "13812345678",
                                  "prevention_lead": "李防疫"})
        now = datetime.now(UTC)
        states = ("submitted",) * 4 + ("approved",) * 4 + ("returned", "rejected")
        details = {"staff_origins": [{"province": "湖北", "city": "武汉", "count": 40}],
                   "supplies_days": {"masks": 14, "thermometers": 30, "disinfectant": 30},
                   "needs": ["raw_materials"]}
        rng = random.Random(7)
        base = 10_000_000
        async with hub.db.write() as session:
            for start in range(0, rows, 5000):
                batch, flags = [], []
                for i in range(start, min(rows, start + 5000)):
                    state = states[rng.randrange(len(states))]
                    code = uscc(base + i)
                    flagged = i % 5 == 0
                    batch.append({
                        "id": i + 1, "uscc": code,
                        "open_uscc": code if state in ("submitted", "returned") else None,
                        "user_key": f"web:bench{i}", "lang": "zh", "state": state,
                        "version": 1, "firm_name": f"武汉第{i}号企业",
                        "industry": INDUSTRIES[i % len(INDUSTRIES)],
                        "district": DISTRICTS[rng.randrange(len(DISTRICTS))],
                        "street": "花桥街", "address": "解放大道", "private": sealed,
                        "staff_total": 100, "staff_returning": 60, "staff_risk_14d": 0,
                        "isolation_rooms": 1, "capacity_percent": 50,
                        "planned_start": date.today(), "details": details,
                        "flags": [{"id": "masks_short", "zh": "口罩", "en": "masks"}]
                        if flagged else [],
                        "notice_no": f"N{i}" if state == "approved" else None,
                        "reason": None, "created_at": now, "updated_at": now})
                    if flagged:
                        flags.append({"filing_id": i + 1, "flag": "masks_short"})
                await session.execute(sa.insert(Filing), batch)
                if flags:
                    await session.execute(sa.insert(FilingFlag), flags)
                # the counters a transition keeps (bot/services/filings/progress.py)
                await session.execute(sa.insert(FirmProgress), [
                    {"uscc": f["uscc"], "district": f["district"], "industry": f["industry"],
                     "filed": f["state"] != "withdrawn", "approved": f["state"] == "approved"}
                    for f in batch])
            await session.execute(sa.insert(ResumptionCount).from_select(
                ["district", "industry", "filed", "approved"],
                sa.select(FirmProgress.district, FirmProgress.industry,
                          sa.func.sum(sa.case((FirmProgress.filed, 1), else_=0)),
                          sa.func.sum(sa.case((FirmProgress.approved, 1), else_=0)))
                .group_by(FirmProgress.district, FirmProgress.industry)))
        if hub.db.dialect == "postgresql":  # new ids after ours; fresh planner statistics
            async with hub.db.engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(sa.text(
                    "SELECT setval(pg_get_serial_sequence('filings', 'id'), "
                    "(SELECT MAX(id) FROM filings))"))
                await conn.execute(sa.text("ANALYZE"))


async def reviewing(label: str, url: str, rows: int, asks: int) -> None:
    t0 = time.perf_counter()
    await fill(url, rows)
    print(f"{label}: {rows} filings stored in {time.perf_counter() - t0:.0f} s (not timed)")
    port = free_port()
    with tempfile.TemporaryDirectory() as keys:
        proc = start_process(SERVE % port, env_for(url, keys))
        try:
            base = f"http://127.0.0.1:{port}"
            await wait_ready(f"{base}/healthz", proc)
            async with aiohttp.ClientSession() as session:
                tokens = {}
                for name in ("bench-rev", "bench-admin"):
                    async with session.post(f"{base}/api/v1/staff/sessions", json={
                            "username": name, "password": PASSWORD}) as resp:
                        tokens[name] = {"Authorization":
                                        f"Bearer {(await resp.json())['token']}"}
                rng = random.Random(1)
                queries = ["state=submitted", "", "state=approved&industry=retail",
                           "flag=masks_short", "state=returned", "q=第12号",
                           "state=submitted&cursor={c}", "industry=logistics&cursor={c}"]
                queue_lat: list[float] = []
                stats_lat: list[float] = []
                for i in range(asks + 20):
                    query = queries[i % len(queries)].format(c=rng.randrange(rows))
                    start = time.perf_counter()
                    async with session.get(f"{base}/api/v1/filings?{query}",
                                           headers=tokens["bench-rev"]) as resp:
                        assert resp.status == 200, await resp.text()
                        await resp.read()
                    if i >= 20:  # the first are warm-up
                        queue_lat.append(time.perf_counter() - start)
                    by = "district" if i % 2 else "industry"
                    who = tokens["bench-admin"] if i % 3 else tokens["bench-rev"]
                    start = time.perf_counter()
                    async with session.get(f"{base}/api/v1/stats/resumption?by={by}",
                                           headers=who) as resp:
                        assert resp.status == 200, await resp.text()
                        await resp.read()
                    if i >= 20:
                        stats_lat.append(time.perf_counter() - start)
            line("reviewer queue (GET /api/v1/filings)", queue_lat)
            line("stats (GET /api/v1/stats/resumption)", stats_lat)
        finally:
            proc.terminate()
            proc.wait()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--firms", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--asks", type=int, default=400)
    parser.add_argument("--only", choices=("postgres", "sqlite"))
    args = parser.parse_args()
    admin = os.environ.get("TONGGUAN_TEST_POSTGRES_URL",
                           "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    if args.only != "sqlite":
        async with throwaway_postgres(admin) as url:
            if url:
                await filing_day("postgres", url, args.firms, args.concurrency)
        async with throwaway_postgres(admin) as url:
            if url:
                await reviewing("postgres", url, args.rows, args.asks)
    if args.only != "postgres":
        with tempfile.TemporaryDirectory() as tmp:
            await filing_day("sqlite", f"sqlite+aiosqlite:///{tmp}/day.db", args.firms,
                             args.concurrency)
            await reviewing("sqlite", f"sqlite+aiosqlite:///{tmp}/review.db", args.rows,
                            args.asks)


if __name__ == "__main__":
    asyncio.run(main())
