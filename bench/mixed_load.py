"""Mixed load on PostgreSQL: WeChat and JSON API users at once, 1 vs 2 processes (issue 17).

500 emulated WeChat users (safe mode: signed, AES-encrypted callbacks; each answer
decrypted and checked, or, when the server answers ``success`` after its reply budget,
the customer-service push read from the fake WeChat API) and 200 JSON API users (one
session each) all at once, each completing the building screening
(``community_screening``) again and again in a closed loop. Every answer is read: the
next message answers the question it asks (``_screening.answer_for``; the flow's steps
change), and an answer that asks none of the screening's questions is an error, as is a
failed callback, a non-200, or a push that never comes.

Against ``tongguan serve --workers 1`` and then ``--workers 2`` (gunicorn, one port),
each on a fresh PostgreSQL database (``TONGGUAN_BENCH_POSTGRES_URL``, else
``TONGGUAN_TEST_POSTGRES_URL``, else the local server), and, before each, a bare aiohttp
echo with as many processes (the same runners: ``bot.web.serving.run`` on uvloop for
one, ``serve --workers``'s gunicorn worker for two) under the same users: its WeChat
handler checks the signature, decrypts, parses and answers an encrypted text echo with wechatpy
(``wechat_load.BARE_HANDLER``); its JSON handler echoes the text. Echo users send the
screening's answers in turn and expect their echo.

Prints per run: turns/s per channel and in all, p50/p99 per channel, errors by kind,
late WeChat answers (pushed), finished screenings, the CPU each part spent per turn and
the cores it kept busy (server processes, the database's backends, this load generator
with the fake WeChat API), the cores everything else on the machine kept busy (other
work on a shared machine), the most database connections, the transactions committed in
the database per turn (``pg_stat_database``; turns share commits), and ``turns`` rows
minus messages sent (a turn run twice shows as more rows); then each ratio to the echo
with as many processes — of turns/s, and of server CPU a turn (echo ÷ tongguan: what a
turn costs against a bare handler, whatever share of the machine each run got) — and
the 2 ÷ 1 process ratios. The load generator shares the machine: read the ratios and the
CPU per turn. Figures only; it never passes or fails on time.

    python bench/mixed_load.py [--quick] [--wechat 500] [--api 200] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import os
import secrets
from collections.abc import Callable

import aiohttp
import uvloop
from _http_load import (
    free_port,
    grant_workers,
    start_process,
    stderr_tail,
    throwaway_postgres,
    wait_ready,
)
from _mixed_users import PushBox, Run, api_ask, drive, wechat_ask
from _screening import DONE, ECHO_SCRIPT, START, answer_for
from chat_turns import open_sessions
from wechat_load import APP_ID, BARE_HANDLER, SECRET, TOKEN, count_turns, openids, wechat_env
from workers import SERVE

from bot.channels.wechat.testing import WechatEmulator

#: the echo: wechat_load's bare WeChat handler, a JSON echo at the chat API's path, and the
#: runner ``tongguan serve`` uses for as many processes; formatted with (port, processes)
ECHO = """
async def chat(request):
    body = await request.json()
    return web.json_response({"replies": [{"type": "text", "text": body.get("text", "")}]})

async def healthz(request):
    return web.Response(text="ok")

def make_app(_settings=None):
    app = web.Application()
    app.router.add_post("/wechat", handle)
    app.router.add_post("/api/v1/chat", chat)
    app.router.add_get("/healthz", healthz)
    return app

PORT, PROCESSES = %d, %d
if PROCESSES == 1:
    import uvloop
    from bot.web.serving import run
    run(make_app(), host="127.0.0.1", port=PORT, loop=uvloop.new_event_loop(),
        backlog=2048, shutdown_timeout=5, announce=lambda: None)
else:
    from bot.cli.workers import run_workers
    run_workers(None, host="127.0.0.1", port=PORT, workers=PROCESSES, make_app=make_app,
                shutdown_seconds=5)
"""
CHANNELS = ("wechat", "api")
OURS = ("server", "postgres", "load generator")  #: the parts whose CPU a turn costs


def echo_expect() -> Callable[[str, str], str | None]:
    """An echo user: expects its text back, then sends the screening's next answer."""
    script = itertools.cycle(ECHO_SCRIPT[1:] + ECHO_SCRIPT[:1])
    return lambda sent, reply: next(script) if reply == sent else None


async def run_load(base: str, pid: int, aes_key: str, box: PushBox, wechat: list[str],
                   tokens: list[str], echo: bool, args: argparse.Namespace,
                   url: str | None) -> Run:
    """The users against one server (its process ``pid``) at ``base``; ``url``: its
    database, whose backends are watched."""
    import asyncpg

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http, \
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as wx_http:
        wx = WechatEmulator(base + "/wechat", token=TOKEN, app_id=APP_ID, aes_key=aes_key,
                            mode="safe", session=wx_http)
        expect = echo_expect if echo else (lambda: lambda _sent, reply: answer_for(reply))
        users = [("wechat", wechat_ask(wx, box, o), expect()) for o in wechat] + \
                [("api", api_ask(http, base, t), expect()) for t in tokens]
        if url is None:
            return await drive(users, START, DONE, args.warmup, args.seconds, server_pid=pid)
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            async def database() -> tuple[set[int], int]:  # this connection left out
                rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = "
                                        "current_database() AND pid <> pg_backend_pid()")
                commits = await conn.fetchval("SELECT xact_commit FROM pg_stat_database "
                                              "WHERE datname = current_database()")
                return {row["pid"] for row in rows}, int(commits)
            return await drive(users, START, DONE, args.warmup, args.seconds, server_pid=pid,
                               database=database)
        finally:
            await conn.close()


async def target(name: str, processes: int, aes_key: str, box: PushBox, api_base: str,
                 args: argparse.Namespace) -> Run | None:
    """One server under the load: the echo, or tongguan on a fresh database (None when
    PostgreSQL cannot be reached)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    if name == "echo":
        proc = start_process(BARE_HANDLER % (TOKEN, aes_key, APP_ID) + ECHO % (port, processes))
        try:
            await wait_ready(base + "/healthz", proc)
            return await run_load(base, proc.pid, aes_key, box, openids(args.wechat),
                                  ["-"] * args.api, True, args, None)
        finally:
            proc.terminate()
            proc.wait()
    async with throwaway_postgres(args.postgres) as url:
        if url is None:
            return None
        env = {"TONGGUAN_DATABASE_URL": url, "TONGGUAN_LOG_LEVEL": "WARNING",
               "TONGGUAN_FLOWS_RELOAD_SECONDS": "0", **wechat_env(aes_key, api_base)}
        proc = start_process(SERVE % (port, processes), env)
        try:
            await wait_ready(base + "/readyz", proc)
            made, _ = await open_sessions(base, args.api, 50)
            wechat = openids(args.wechat)
            await grant_workers(url, [m["user_key"] for m in made] +
                                [f"wechat:{o}" for o in wechat])
            await asyncio.sleep(1.1)  # a grant is seen within chat_roles.MISS_SECONDS
            run = await run_load(base, proc.pid, aes_key, box, wechat,
                                 [m["token"] for m in made], False, args, url)
            run.rows = await count_turns(url)
        finally:
            proc.terminate()
            proc.wait()
        log = stderr_tail(proc, 10**7)
        if run.errors() or "Traceback" in log:
            print(f"  the server logged {log.count('Traceback')} tracebacks; its log's last "
                  f"lines before shutting down:\n{log.split('Shutting down')[0][-3000:]}")
        return run


def cpu_a_turn(run: Run) -> float:
    """Server CPU seconds per answered turn in the window."""
    return run.cpu["server"] / max(1, sum(not t.problem for t in run.timed()))


def report(label: str, run: Run, echo: Run | None) -> None:
    late = sum(t.late for t in run.timed("wechat"))
    parts = [f"{ch} {run.rate(ch):7.1f}/s p50 {run.latency(ch, .5):6.0f} ms "
             f"p99 {run.latency(ch, .99):6.0f} ms" for ch in CHANNELS]
    ratio = "" if echo is None else (
        f"   ratio to echo {run.rate() / echo.rate():.2f}, server CPU a turn "
        f"{cpu_a_turn(echo) / cpu_a_turn(run):.2f}")
    print(f"{label:<20} {' | '.join(parts)} | total {run.rate():7.1f}/s{ratio}")
    errors = ", ".join(f"{ch}: " + (", ".join(f"{k} {n}" for k, n in run.errors(ch).items())
                                     or "0") for ch in CHANNELS)
    turns = max(1, sum(not t.problem for t in run.timed()))
    cpu = ", ".join(f"{part} {seconds / turns * 1000:.2f} ({seconds / run.seconds:.2f})"
                    for part, seconds in run.cpu.items() if seconds and part in OURS)
    others = run.cpu["other processes"] / run.seconds
    print(f"{'':<20} errors ({len(run.turns)} turns in all) {errors}; late (pushed) {late}")
    finished = sum(t.finished for t in run.timed())
    extra = "" if run.rows is None else (
        f"; screenings {finished}; PostgreSQL connections ≤ {run.connections}"
        f"; commits a turn {(run.commits or 0) / turns:.2f}"
        f"; turn rows − messages {run.rows - len(run.turns)}")
    print(f"{'':<20} CPU ms a turn (cores busy): {cpu}; other processes "
          f"{others:.2f} cores{extra}")


async def main(args: argparse.Namespace) -> None:
    aes_key = base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    box = PushBox(APP_ID, SECRET)
    api_base = await box.start()
    load = os.getloadavg()
    print(f"mixed_load: {args.wechat} WeChat + {args.api} JSON API users at once, closed "
          f"loop, {args.warmup:g} s warm-up then {args.seconds:g} s timed; {os.cpu_count()} "
          f"cores shared with the load generator and PostgreSQL; load average "
          f"{load[0]:.1f} at start")
    rates: dict[tuple[str, int], float] = {}
    try:
        for processes in args.processes:
            label = f"{processes} process{'es' if processes > 1 else ''}"
            echo = await target("echo", processes, aes_key, box, api_base, args)
            report(f"echo, {label}", echo, None)
            ours = await target("tongguan", processes, aes_key, box, api_base, args)
            if ours is None:
                return
            report(f"tongguan, {label}", ours, echo)
            rates["echo", processes], rates["tongguan", processes] = echo.rate(), ours.rate()
    finally:
        await box.stop()
    if len(args.processes) == 2:
        few, many = args.processes
        print(f"{many} ÷ {few} processes: tongguan "
              f"{rates['tongguan', many] / rates['tongguan', few]:.2f}, "
              f"echo {rates['echo', many] / rates['echo', few]:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="3 s warm-up and 10 s timed per run (2-core machine, make bench)")
    parser.add_argument("--wechat", type=int, default=500, help="WeChat users")
    parser.add_argument("--api", type=int, default=200, help="JSON API users")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=30.0, help="timed window per run")
    parser.add_argument("--processes", type=lambda v: [int(n) for n in v.split(",")],
                        default=[1, 2], help="server processes of each run, in order")
    parser.add_argument("--postgres", default=os.environ.get(
        "TONGGUAN_BENCH_POSTGRES_URL", os.environ.get(
            "TONGGUAN_TEST_POSTGRES_URL",
            "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")))
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.warmup, arguments.seconds = 3.0, 10.0
    uvloop.run(main(arguments))
