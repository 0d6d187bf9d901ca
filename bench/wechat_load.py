"""WeChat channel load: N emulated residents complete a whole flow through encrypted callbacks.

Prints messages/s, p50/p99 latency, late replies (answered `success` instead of the
reply) and duplicate turns, and the throughput ratio to a bare aiohttp handler that only
decrypts with wechatpy and returns an encrypted echo, measured in the same run.
Figures only: it never passes or fails on time.

    python bench/wechat_load.py --users 200 --db sqlite
    TONGGUAN_TEST_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \\
        python bench/wechat_load.py --users 200 --db postgres
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import logging
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import TextReply

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.channels.wechat.testing import FakeWechatApi, WechatEmulator  # noqa: E402
from bot.channels.wechat.web import WECHAT_KEY  # noqa: E402
from bot.config import Settings, load_settings  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.web.app import init_app  # noqa: E402

APP_ID, SECRET, TOKEN = "wx5f2a9c3e7d1b4a60", "bench-secret", "bench-token"
SCRIPT = ["楼栋排查", "12号楼", "2单元", "12", "30", "1", "0", "无", "确认"]


def bare_app(aes_key: str) -> web.Application:
    """The floor: decrypt with wechatpy, answer an encrypted echo. Nothing else."""
    crypto = WeChatCrypto(TOKEN, aes_key, APP_ID)

    async def handle(request: web.Request) -> web.Response:
        q = request.query
        xml = crypto.decrypt_message(await request.read(), q["msg_signature"],
                                     q["timestamp"], q["nonce"])
        msg = parse_message(xml)
        reply = TextReply(content=getattr(msg, "content", ""), message=msg).render()
        return web.Response(text=crypto.encrypt_message(reply, q["nonce"], q["timestamp"]),
                            content_type="application/xml")

    app = web.Application()
    app.router.add_post("/wechat", handle)
    return app


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/wechat"


async def drive(url: str, aes_key: str, users: int) -> tuple[list[float], int, int, float]:
    """Every user sends the script in order; returns latencies, late, failed, seconds."""
    latencies: list[float] = []
    late = failed = 0
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        wx = WechatEmulator(url, token=TOKEN, app_id=APP_ID, aes_key=aes_key, mode="safe",
                            session=http)

        async def resident(i: int) -> None:
            nonlocal late, failed
            openid = f"o_bench_{i:05d}_{secrets.token_hex(4)}"
            for text in SCRIPT:
                d = await wx.text(openid, text)
                latencies.append(d.elapsed)
                failed += d.failed
                late += (not d.failed and d.reply is None)

        started = time.perf_counter()
        await asyncio.gather(*(resident(i) for i in range(users)))
        return latencies, late, failed, time.perf_counter() - started


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


async def database(kind: str, tmp: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
        await asyncio.to_thread(upgrade, url)
        return url, None
    import asyncpg

    admin = os.environ.get("TONGGUAN_TEST_POSTGRES_URL",
                           "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    name = f"tongguan_test_{secrets.token_hex(6)}"
    conn = await asyncpg.connect(admin.replace("postgresql+asyncpg://", "postgresql://"))
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = admin.rsplit("/", 1)[0] + "/" + name
    await asyncio.to_thread(upgrade, url)
    return url, name


async def drop(name: str) -> None:
    import asyncpg

    admin = os.environ.get("TONGGUAN_TEST_POSTGRES_URL",
                           "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    conn = await asyncpg.connect(admin.replace("postgresql+asyncpg://", "postgresql://"))
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def main(users: int, db: str) -> None:
    logging.basicConfig(level=logging.ERROR)
    aes_key = base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        flows = tmp / "flows"
        flows.mkdir()
        shutil.copy(ROOT / "flows" / "community_screening.yml", flows)
        url, pg_name = await database(db, tmp)
        fake = FakeWechatApi(APP_ID, SECRET)
        api_base = await fake.start()
        base = load_settings(path=Path("/nonexistent.yml"), env={"TONGGUAN_SECRET_KEY": "b" * 40})
        settings: Settings = dataclasses.replace(
            base, database_url=url, flows_dir=flows, intents_dir=ROOT / "intents",
            flows_reload_seconds=0.0, log_level="ERROR", wechat=dataclasses.replace(
                base.wechat, app_id=APP_ID, app_secret=SECRET, token=TOKEN, aes_key=aes_key,
                api_base=api_base))
        try:
            bare_runner, bare_url = await serve(bare_app(aes_key))
            await drive(bare_url, aes_key, min(users, 20))  # warm-up
            bare_lat, _, bare_failed, bare_secs = await drive(bare_url, aes_key, users)
            await bare_runner.cleanup()

            app = init_app(settings, background=False)
            runner, our_url = await serve(app)
            lat, late, failed, secs = await drive(our_url, aes_key, users)
            turns = app[WECHAT_KEY].channel.turns  # type: ignore[union-attr]
            await runner.cleanup()
        finally:
            await fake.stop()
            if pg_name:
                await drop(pg_name)
    sent = len(lat)
    ours, bare = sent / secs, len(bare_lat) / bare_secs
    print(f"wechat_load users={users} db={db} messages={sent} (flow of {len(SCRIPT)} steps)")
    print(f"  tongguan : {ours:8.1f} msg/s  p50 {pct(lat, .5):6.1f} ms  p99 {pct(lat, .99):6.1f} ms"
          f"  late {late}  failed {failed}  duplicate turns {turns - sent}")
    print(f"  bare echo: {bare:8.1f} msg/s  p50 {pct(bare_lat, .5):6.1f} ms  "
          f"p99 {pct(bare_lat, .99):6.1f} ms  failed {bare_failed}")
    print(f"  ratio (tongguan / bare) = {ours / bare:.2f}   goals: ratio >= 0.5, p99 <= 100 ms "
          f"at 200 users, 0 late, 0 duplicates;  mean {statistics.mean(lat) * 1000:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    asyncio.run(main(args.users, args.db))
