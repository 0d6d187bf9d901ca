"""WeChat channel load: N emulated community workers complete a flow through encrypted callbacks.

The server is ``tongguan serve`` itself in a child process (background workers on, what
``serve`` sets applies), on SQLite or PostgreSQL; the floor is a bare aiohttp handler that
only decrypts with wechatpy and returns an encrypted echo, in a child process too,
measured in the same run, before and after each database (the VM's speed drifts; each
ratio is against the mean of the two runs around it). Prints messages/s, p50/p99
latency, late replies (answered `success` instead of the reply), failures, duplicate turns
(``turns`` rows beyond one per message) and the throughput ratio. Figures only: it never
passes or fails on time. The flow (``community_screening``) is for community workers only:
every openid a run will use is made up front and granted the role in the set-up, before
timing, in one ``INSERT`` into ``chat_roles`` (as ``tongguan roles grant`` would one by one).

    python bench/wechat_load.py [--users 200] [--total 1000] [--db sqlite|postgres|both]
    TONGGUAN_TEST_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \\
        python bench/wechat_load.py --db postgres
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _http_load import (  # noqa: E402
    free_port,
    grant_workers,
    start_process,
    stderr_tail,
    wait_ready,
)

from bot.channels.wechat.testing import FakeWechatApi, WechatEmulator  # noqa: E402

APP_ID, SECRET, TOKEN = "wx5f2a9c3e7d1b4a60", "bench-secret", "bench-token"
#: the building screening answered in its order (district, community, building, unit,
#: households, at home, quarantine, returned, notes, confirm); a fixed script because a late
#: reply (``success``, pushed later) carries no question to read; bench/_screening.py holds
#: the same answers for the benches that read each question
SCRIPT = ["楼栋排查", "江岸区", "花桥街一村社区", "12号楼", "2单元", "12", "30", "1", "0", "无",
          "确认"]
PG_ADMIN = os.environ.get("TONGGUAN_TEST_POSTGRES_URL",
                          "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")

SERVE = """
from bot.cli import main
main(["serve", "--host", "127.0.0.1", "--port", "%d"])
"""

#: a minimal WeChat handler (safe mode): checks ``msg_signature`` and decrypts with
#: wechatpy, parses the message, and answers an encrypted, signed text echo; formatted
#: with (token, aes key, app id)
BARE_HANDLER = """
from aiohttp import web
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import TextReply

crypto = WeChatCrypto(%r, %r, %r)

async def handle(request):
    q = request.query
    xml = crypto.decrypt_message(await request.read(), q["msg_signature"], q["timestamp"],
                                 q["nonce"])
    msg = parse_message(xml)
    reply = TextReply(content=getattr(msg, "content", ""), message=msg).render()
    return web.Response(text=crypto.encrypt_message(reply, q["nonce"], q["timestamp"]),
                        content_type="application/xml")
"""
BARE = BARE_HANDLER + """
import uvloop

app = web.Application()
app.router.add_post("/wechat", handle)
app.router.add_get("/", lambda r: web.Response(text="ok"))
web.run_app(app, host="127.0.0.1", port=%d, access_log=None, print=None,
            loop=uvloop.new_event_loop())  # the loop tongguan serve runs on
"""


def wechat_env(aes_key: str, api_base: str) -> dict[str, str]:
    """A bench server's WeChat settings: safe mode, pushes to the fake API at ``api_base``."""
    return {"TONGGUAN_WECHAT_APP_ID": APP_ID, "TONGGUAN_WECHAT_APP_SECRET": SECRET,
            "TONGGUAN_WECHAT_TOKEN": TOKEN, "TONGGUAN_WECHAT_AES_KEY": aes_key,
            "TONGGUAN_WECHAT_API_BASE": api_base}


def openids(users: int) -> list[str]:
    """``users`` new WeChat users (made before a run, so they can be granted a role)."""
    return [f"o_bench_{i:05d}_{secrets.token_hex(4)}" for i in range(users)]


async def drive(url: str, aes_key: str, users: list[str], think: float = 0.0,
                at_once: int | None = None, done: str = "",
                ) -> tuple[list[float], int, int, float]:
    """Every user (openid) sends the script in order, ``at_once`` users at a time
    (default: all); returns latencies, late, failed, seconds. With ``think`` > 0 each
    user pauses 0.5–1.5 × think seconds before each message. ``done``: text the last
    reply (when not late) must hold, or the run stops (the flow did not finish)."""
    latencies: list[float] = []
    late = failed = 0
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        wx = WechatEmulator(url, token=TOKEN, app_id=APP_ID, aes_key=aes_key, mode="safe",
                            session=http)

        gate = asyncio.Semaphore(at_once or len(users))

        async def user(i: int, openid: str) -> None:
            async with gate:
                await one_user(i, openid)

        async def one_user(i: int, openid: str) -> None:
            nonlocal late, failed
            pace = random.Random(i)
            for text in SCRIPT:
                if think:
                    await asyncio.sleep(think * pace.uniform(0.5, 1.5))
                d = await wx.text(openid, text)
                latencies.append(d.elapsed)
                failed += d.failed
                late += (not d.failed and d.reply is None)
            if done and d.reply is not None and done not in d.text:
                raise RuntimeError(f"flow did not finish for {openid}: {d.text!r}")

        started = time.perf_counter()
        await asyncio.gather(*(user(i, openid) for i, openid in enumerate(users)))
        return latencies, late, failed, time.perf_counter() - started


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


async def database(kind: str, tmp: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp / 'bench.db'}", None
    import asyncpg

    name = f"tongguan_test_{secrets.token_hex(6)}"
    conn = await asyncpg.connect(PG_ADMIN.replace("postgresql+asyncpg://", "postgresql://"))
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name, name


async def count_turns(url: str) -> int:
    """Turns the engine logged (one ``turns`` row per turn it ran)."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.split("///", 1)[1]) as conn:
            return int(conn.execute("SELECT count(*) FROM turns").fetchone()[0])
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM turns"))
    finally:
        await conn.close()


async def drop(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN.replace("postgresql+asyncpg://", "postgresql://"))
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def measure(code: str, env: dict[str, str] | None, port: int, aes_key: str,
                  users: int, think: float = 0.0, total: int | None = None,
                  grant: Callable[[list[str]], Awaitable[None]] | None = None,
                  ) -> tuple[tuple[list[float], int, int, float], ...]:
    """``total`` users, ``users`` at once (and, with ``think``, ``users`` at a chat pace
    too) against one server; ``grant`` (set-up, not timed) gets every openid first."""
    proc = start_process(code, env)
    try:
        await wait_ready(f"http://127.0.0.1:{port}/", proc)
        url = f"http://127.0.0.1:{port}/wechat"
        warm, timed, paced = openids(min(users, 20)), openids(total or users), \
            openids(users if think else 0)
        if grant is not None:  # the server has migrated its database once ready
            await grant(warm + timed + paced)
        done = "已登记" if grant is not None else ""  # the bare handler only echoes
        await drive(url, aes_key, warm, done=done)  # warm-up
        runs = [await drive(url, aes_key, timed, at_once=users, done=done)]
        if think:
            runs.append(await drive(url, aes_key, paced, think, done=done))
        return tuple(runs)
    finally:
        proc.terminate()
        proc.wait()
        errors = stderr_tail(proc, 10**7)
        if "Traceback" in errors:
            print(f"  server logged {errors.count('Traceback')} tracebacks; the last:\n"
                  + errors[-3000:])


async def main(users: int, dbs: list[str], think: float, total: int) -> None:
    aes_key = base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    async def bare() -> tuple[list[float], int, int, float]:
        port = free_port()
        return (await measure(BARE % (TOKEN, aes_key, APP_ID, port), None, port, aes_key,
                              users, total=total))[0]

    # The VM's speed drifts: the bare handler runs before and after each database, and
    # each ratio is taken against the mean of the two runs around it.
    before = await bare()
    for db in dbs:
        try:
            runs, turns = await run_db(db, users, think, total, aes_key)
        except OSError as err:
            print(f"wechat_load db={db}: not measured ({err})")
            continue
        after = await bare()
        report(db, users, think, total, runs, turns, (before, after))
        before = after


async def run_db(db: str, users: int, think: float, total: int, aes_key: str,
                 ) -> tuple[tuple[tuple[list[float], int, int, float], ...], int]:
    """The server's runs on ``db`` and the turns it logged."""
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        flows = tmp / "flows"
        flows.mkdir()
        shutil.copy(ROOT / "flows" / "community_screening.yml", flows)
        url, pg_name = await database(db, tmp)
        fake = FakeWechatApi(APP_ID, SECRET)
        api_base = await fake.start()
        env = {"TONGGUAN_DATABASE_URL": url, "TONGGUAN_LOG_LEVEL": "ERROR",
               "TONGGUAN_SECRET_KEY": "b" * 40, "TONGGUAN_CONFIG": "/nonexistent.yml",
               "TONGGUAN_FLOWS_DIR": str(flows), "TONGGUAN_FLOWS_RELOAD_SECONDS": "0",
               "TONGGUAN_INTENTS_DIR": str(ROOT / "intents"), **wechat_env(aes_key, api_base)}
        try:
            port = free_port()
            # The warm-up's turns are in the table too: count them apart.
            runs = await measure(SERVE % port, env, port, aes_key, users, think, total,
                                 grant=lambda users: grant_workers(
                                     url, [f"wechat:{u}" for u in users]))
            turns = await count_turns(url) - min(users, 20) * len(SCRIPT)
        finally:
            await fake.stop()
            if pg_name:
                await drop(pg_name)
    return runs, turns


def report(db: str, users: int, think: float, total: int,
           runs: tuple[tuple[list[float], int, int, float], ...], turns: int,
           bares: tuple[tuple[list[float], int, int, float], ...]) -> None:
    lat, late, failed, secs = runs[0]
    sent = sum(len(run[0]) for run in runs)
    ours = len(lat) / secs
    bare = statistics.mean(len(b[0]) / b[3] for b in bares)
    print(f"wechat_load users={total} ({users} at once) db={db} messages={sent} "
          f"(flow of {len(SCRIPT)} steps)")
    print(f"  at once  : {ours:8.1f} msg/s  p50 {pct(lat, .5):6.1f} ms  p99 {pct(lat, .99):6.1f} ms"
          f"  mean {statistics.mean(lat) * 1000:.1f} ms  late {late}  failed {failed}")
    for when, (bare_lat, _, bare_failed, bare_secs) in zip(("before", "after"), bares,
                                                            strict=True):
        print(f"  bare echo: {len(bare_lat) / bare_secs:8.1f} msg/s  "
              f"p50 {pct(bare_lat, .5):6.1f} ms  p99 {pct(bare_lat, .99):6.1f} ms  "
              f"failed {bare_failed}  ({when})")
    if think:
        lat, late, failed, secs = runs[1]
        print(f"  chat pace: {len(lat) / secs:8.1f} msg/s  p50 {pct(lat, .5):6.1f} ms  "
              f"p99 {pct(lat, .99):6.1f} ms  late {late}  failed {failed}  "
              f"({users} users, {think:g} s mean think)")
    print(f"  duplicate turns {turns - sent}")
    print(f"  ratio (tongguan / bare) = {ours / bare:.2f}   goals: ratio >= 0.5, p99 <= 100 ms "
          f"at 200 users, 0 late, 0 duplicates")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200, help="users at once")
    parser.add_argument("--total", type=int, default=1000,
                        help="users completing the flow in all (--users at a time)")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--think", type=float, default=1.0,
                        help="also run the users with this mean pause before each message "
                             "(seconds; 0 skips): latency at a chat pace")
    args = parser.parse_args()
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    asyncio.run(main(args.users, dbs, args.think, max(args.total, args.users)))
