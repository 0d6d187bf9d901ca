"""The chat declaration path: p50 / p99 of each turn and of the submitting turn.

N simulated residents each open a web-chat session and declare "for myself" with an
ID number of their own (``健康申报`` … ``确认``: 15 turns, the last one runs
``declarations.submit``: rules, identity binding, official statuses, sealing, the new
status). ``--concurrency`` residents at a time, no pause. The server runs in a child
process (``tongguan serve``), on SQLite and on PostgreSQL (a throw-away database at
``TONGGUAN_TEST_POSTGRES_URL``, default the local server).

To compare two versions of the code (e.g. before and after identity binding), run this
file from each tree: ``python bench/declaration_turns.py --root /path/to/other/tree``
serves that tree instead of this one; ``--without-trust`` serves this tree with the
trust checks (binding, dependants, register, official statuses) made no-ops.

``--service N`` measures instead the service call alone (``declare()``, in this process,
no HTTP, no chat engine), N times with the trust checks and N times without, alternating
one by one on one database so that the machine's drift hits both alike: the tightest
figure for what binding costs a declaration.

Figures only; it never passes or fails on time.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
# the repository first: bench/codes.py must not hide the codes package (--service)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _http_load  # noqa: E402
from _http_load import (  # noqa: E402
    free_port,
    percentile,
    run_users,
    start_process,
    throwaway_postgres,
    wait_ready,
)

SERVE = """
from bot.cli import main
main(["serve", "--host", "127.0.0.1", "--port", "%d"])
"""
#: ``--without-trust``: the same server with the trust checks (binding, dependants,
#: register, official statuses) made no-ops, to see what they cost on one tree
SERVE_WITHOUT_TRUST = """
import importlib
module = importlib.import_module("bot.services.declarations.declare")

async def nothing(*args, **kwargs):
    return None

module.DECLARATION_LOOKUP = importlib.import_module(
    "bot.services.declarations.store").SUBJECT_FOR_UPDATE
module.check_register = lambda *args: None
module.check_and_bind = module.official_of = nothing
""" + SERVE
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
NAMES = ("张三明", "王老五", "李四海", "赵一鸣")  #: names the NLU never mistakes for a request


def fake_id(n: int) -> str:
    """A checksum-valid 18-character ID number, different for every ``n``."""
    first = f"110105{1950 + n % 50:04d}{1 + n // 50 % 12:02d}{1 + n // 600 % 28:02d}" \
            f"{n // 16800 % 1000:03d}"
    return first + _CHECK[sum(int(c) * w for c, w in zip(first, _WEIGHTS, strict=True)) % 11]


def script(n: int) -> list[str]:
    return ["健康申报", "1", NAMES[n % len(NAMES)], fake_id(n), f"138{n:08d}"[:11], "江岸区",
            "花桥街一村社区", f"{n % 40 + 1}号楼", "36.5", "没有", "没有离开本市", "否",
            "未隔离", "是", "确认"]


def declaring_user(base: str, counter: list[int], submits: list[float]):
    async def run(session: aiohttp.ClientSession, latencies: list[float]) -> None:
        counter[0] += 1
        turns = script(counter[0])
        async with session.post(base + "/api/v1/sessions") as resp:
            headers = {"Authorization": "Bearer " + (await resp.json())["token"]}
        for i, text in enumerate(turns):
            start = time.perf_counter()
            async with session.post(base + "/api/v1/chat", json={"text": text},
                                    headers=headers) as resp:
                body = await resp.json()
                if resp.status != 200:
                    raise RuntimeError(body)
            took = time.perf_counter() - start
            latencies.append(took)
            if i == len(turns) - 1:
                submits.append(took)
        if "绿码" not in body["replies"][0]["text"]:
            raise RuntimeError(f"no green code: {body}")
    return run


def line(name: str, values: list[float]) -> None:
    print(f"  {name:<24} {len(values):>6}   p50 {percentile(values, 0.5) * 1000:7.1f} ms   "
          f"p99 {percentile(values, 0.99) * 1000:7.1f} ms")


async def bench_db(label: str, url: str, users: int, concurrency: int, root: Path,
                   serve: str = SERVE) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as keys:
        env = {"TONGGUAN_DATABASE_URL": url, "TONGGUAN_LOG_LEVEL": "WARNING",
               "TONGGUAN_FLOWS_RELOAD_SECONDS": "0", "TONGGUAN_KEYS_DIR": keys,
               "PYTHONPATH": str(root)}
        _http_load.ROOT = root  # the child runs in the tree being measured
        proc = start_process(serve % port, env)
        try:
            await wait_ready(f"http://127.0.0.1:{port}/healthz", proc)
            base = f"http://127.0.0.1:{port}"
            counter = [10_000 * (1 + secrets.randbelow(50))]
            await run_users(5, 5, declaring_user(base, counter, []))  # warm-up
            submits: list[float] = []
            seconds, lat = await run_users(users, concurrency,
                                           declaring_user(base, counter, submits))
            print(f"{label}: {users} declarations in {seconds:.1f} s "
                  f"({users / seconds:.1f} declarations/s)")
            line("every turn", lat)
            line("submitting turn", submits)
        finally:
            proc.terminate()
            proc.wait()


async def service_ab(label: str, url: str, n: int) -> None:
    """``declare()`` with and without the trust checks, alternating; p50 / p99 of each."""
    import dataclasses

    from bot.config import load_settings
    from bot.db.migrate import upgrade
    from bot.hub import open_base_hub
    from bot.services.declarations.service import declarations

    module = importlib.import_module("bot.services.declarations.declare")

    async def nothing(*args, **kwargs):  # type: ignore[no-untyped-def]
        return None

    #: the trust steps of declare(), and what stands in for each without them
    store = importlib.import_module("bot.services.declarations.store")
    without = {"DECLARATION_LOOKUP": store.SUBJECT_FOR_UPDATE,
               "check_register": lambda *args: None,
               "check_and_bind": nothing, "official_of": nothing}
    checks = {name: getattr(module, name) for name in without}
    upgrade(url)
    with tempfile.TemporaryDirectory() as keys:
        settings = dataclasses.replace(load_settings(_http_load.ROOT / "config.yml", env={}),
                                       database_url=url, keys_dir=Path(keys))
        async with open_base_hub(settings) as hub:
            svc = declarations(hub)
            answers = {"temperature": 36.5, "symptoms": ["none"], "travel": ["none"],
                       "contact": False, "quarantine": "free"}
            #: (with trust checks?, first declaration of the person?) → seconds
            times: dict[tuple[bool, bool], list[float]] = {}
            for i in range(2 * n + 20):
                trust = i % 2 == 0
                for name, fn in checks.items():
                    setattr(module, name, fn if trust else without[name])
                person = module.Person("张三明", fake_id(500_000 + i), None)
                for first in (True, False):  # the first declaration binds; then a daily one
                    start = time.perf_counter()
                    await module.declare(svc, person=person, answers=answers,
                                         user_key=f"web:bench{i}", proxy=False)
                    if i >= 20:  # warm-up
                        times.setdefault((trust, first), []).append(
                            time.perf_counter() - start)
            for name, fn in checks.items():
                setattr(module, name, fn)
    print(f"{label}: declare() {n} people each way, alternating; each declares twice")
    for first, what in ((True, "first (binds)"), (False, "again (daily)")):
        line(f"{what}, with", times[(True, first)])
        line(f"{what}, without", times[(False, first)])
        ratio = percentile(times[(True, first)], 0.5) / percentile(times[(False, first)], 0.5)
        print(f"  {what}: p50 with / without  {ratio:.3f}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the source tree to serve (default: this one)")
    parser.add_argument("--without-trust", action="store_true",
                        help="serve with the trust checks made no-ops (same tree)")
    parser.add_argument("--service", type=int, metavar="N",
                        help="time declare() in-process, N times with and N without the "
                             "trust checks, alternating (instead of the chat path)")
    parser.add_argument("--postgres", default=os.environ.get(
        "TONGGUAN_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    root = args.root.resolve()
    serve = SERVE_WITHOUT_TRUST if args.without_trust else SERVE
    print(f"declaration_turns: {args.users} residents x 14 turns, {args.concurrency} "
          f"concurrent, serving {root}{' without the trust checks' * args.without_trust}")
    async def run(label: str, url: str) -> None:
        if args.service:
            await service_ab(label, url, args.service)
        else:
            await bench_db(label, url, args.users, args.concurrency, root, serve)

    if args.only != "postgres":
        with tempfile.TemporaryDirectory() as tmp:
            await run("sqlite", f"sqlite+aiosqlite:///{tmp}/bench.db")
    if args.only == "sqlite":
        return
    async with throwaway_postgres(args.postgres) as url:
        if url is not None:
            await run("postgres", url)


if __name__ == "__main__":
    asyncio.run(main())
