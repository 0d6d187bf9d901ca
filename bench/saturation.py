"""A chat turn at saturation, driven by a compiled load generator (issue 18).

``wrk`` (Debian's, one thread, a Lua script) drives the bare aiohttp JSON echo (its own
process, the baseline) and ``tongguan serve`` (a child process, background jobs on,
abuse limits off) on SQLite and on PostgreSQL, at 50, 200 and 1,000 connections. Each
request is the next message of the building screening (``community_screening``,
the script is learnt from the flow in the set-up, ``_screening.ANSWERS``) for one of S
sessions in turn, S = 400 or twice the connections if more: request *n* goes to
session ``n mod S`` with message ``(n div S) mod len(script)``, so a session's next
message leaves S requests after its last one — after the reply, unless that request
took over twice the mean (at 1,000 connections 400 sessions had 2.5 messages each in
flight at once, which overtook each other with no stall) — and, after the
confirmation, the flow starts again with its keyword. Every point gets S fresh
sessions (opened and granted the community-worker role before timing). The Lua
``response()`` counts non-200 replies and finished screenings (the "已登记" reply): a
conversation that lost its place shows up as fewer finished screenings than requests ÷
len(script).

A third server, ``stack`` (:data:`STACK`), is Tongguan's app and chat-route checks
answering with an echo: the HTTP stack's own cost, so that a turn's is the rest.

Prints per point: turns/s, the server's CPU a request (user + system of its process, all
threads: a figure the shared VM's drift moves less than the rate), the ratio to the echo
at the same connection count (the echo
runs before and after the databases; the mean of the two), p50/p90/p99/max and the
requests over 1 s, all of the requests' own latencies: read in the Lua ``done()`` from
wrk's histogram (one bucket per microsecond) with the copies wrk 4 adds to it for
coordinated omission taken off again (see ``LUA``; ``wrk-p99`` is wrk's own figure,
copies included). The VM is shared: run it twice.
Usage: ``python bench/saturation.py [--quick] [--seconds 10] [--connections 50,200,1000]
[--only sqlite|postgres]``. Needs ``wrk`` (``apt-get install wrk``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from _http_load import (
    cpu_seconds,
    free_port,
    grant_workers,
    start_process,
    throwaway_postgres,
    wait_ready,
)
from _screening import DONE, ECHO_SCRIPT, START, answer_for, joined
from chat_turns import ECHO, SERVE, open_sessions

SESSIONS = 400  #: sessions a point drives at least (see sessions_for)

#: Tongguan's HTTP stack with no turn: the served app (its routes, middlewares, jobs),
#: and in the handler the chat route's bearer-token check, rate-limit call, body →
#: ``Inbound`` and ``json_reply``, answering with the text instead of running the engine.
#: What a turn costs beyond it is the engine, the conversation store and the database.
STACK = """
import sys, uvloop
from bot.cli.core_cmds import LISTEN_BACKLOG, SWITCH_INTERVAL
from bot.cli.core_cmds import serve_app
from bot.config import load_settings
from bot.db.migrate import upgrade
from bot.web import serving
from bot.web.auth import require_session
from bot.web.chat_api import inbound_from_body, json_reply
from bot.web.json_body import read_json_object
from bot.web.ratelimit import limit
settings = load_settings()
upgrade(settings.database_url)
sys.setswitchinterval(SWITCH_INTERVAL)
app = serve_app(settings)  # as tongguan serve builds it (the heap frozen after start-up)
async def stack_echo(request):
    user_id = await require_session(request)
    await limit(request, "chat", user_id)
    inbound = inbound_from_body(user_id, await read_json_object(request))
    return json_reply({"replies": [{"type": "text", "text": inbound.text}]})
app.router.add_post("/stack-echo", stack_echo)
serving.run(app, host="127.0.0.1", port=%d, loop=uvloop.new_event_loop(),
            backlog=LISTEN_BACKLOG, shutdown_timeout=5, announce=lambda: None)
"""

LUA = r"""
local tokens = {%(tokens)s}
local bodies = {%(bodies)s}
local path = "%(path)s"
-- wrk 4 calls request() once on thread 1's script to check it before the run, and
-- sends nothing for that call: the count starts at -1 so the first request is number 0
-- The counters are globals: done() runs in the main script, which reads them from the
-- thread's with thread:get (setup() keeps the thread).
n, bad, finished = -1, 0, 0
local threads = {}
setup = function(thread) table.insert(threads, thread) end
local headers = {}
for i, token in ipairs(tokens) do
  headers[i] = {["Authorization"] = "Bearer " .. token,
                ["Content-Type"] = "application/json"}
end

request = function()
  local s = n %% #tokens
  local m = math.floor(n / #tokens) %% #bodies
  n = n + 1
  return wrk.format("POST", path, headers[s + 1], bodies[m + 1])
end

response = function(status, _, body)
  if status ~= 200 then bad = bad + 1 end
  if string.find(body, "已登记", 1, true) then finished = finished + 1 end
end

-- wrk 4 "corrects" its latency histogram for coordinated omission before done() sees
-- it (stats_correct in wrk.c): each request slower than twice the mean interval between
-- two requests of a connection, e = duration div (requests div connections), is
-- copied at latency - e, latency - 2e, ... down to e, as if the connection had gone
-- on sending. One connection accepted 9 s late became ~60 requests over 1 s. Here
-- every request is one message of a conversation that waits for its reply (a closed
-- loop), so the figures are the requests' own: the copies are taken off again, read
-- from wrk's histogram (one bucket per microsecond) through LuaJIT's FFI.
local ffi = require("ffi")
local CONNECTIONS = %(connections)d
done = function(summary, latency, _)
  local s = ffi.cast("uint64_t **", latency)[0]  -- struct stats: count, limit, min, max, data[]
  local low, high, data = tonumber(s[2]), tonumber(s[3]), s + 4
  local per_conn = math.floor(summary.requests / CONNECTIONS)
  local e = per_conn > 0 and math.floor(summary.duration / per_conn) or math.huge
  -- downwards: a bucket above e holds its own requests plus one copy of each request
  -- of a higher bucket of the same residue modulo e
  local values, counts, carried, total = {}, {}, {}, 0
  for v = high, low, -1 do
    local d = tonumber(data[v])
    if d > 0 then
      if v > e then
        local r = v %% e
        local c = carried[r] or 0
        d = d - c
        carried[r] = c + d
      end
      if d > 0 then
        values[#values + 1] = v
        counts[#values] = d
        total = total + d
      end
    end
  end
  local function percentile(p)  -- values run from the highest down
    local rank, seen = math.max(1, math.ceil(p / 100 * total)), 0
    for i = #values, 1, -1 do
      seen = seen + counts[i]
      if seen >= rank then return values[i] end
    end
    return 0
  end
  local over = 0
  for i = 1, #values do
    if values[i] <= 1000000 then break end
    over = over + counts[i]
  end
  local bad, finished = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("bad")
    finished = finished + thread:get("finished")
  end
  io.write(string.format(
    'SATURATION {"requests": %%d, "micros": %%d, "p50": %%d, "p90": %%d, "p99": %%d, ' ..
    '"max": %%d, "over_1s": %%d, "non_200": %%d, "errors": %%d, "finished": %%d, ' ..
    '"wrk_p99": %%d, "recorded": %%d}\n',
    summary.requests, summary.duration, percentile(50), percentile(90), percentile(99),
    values[1] or 0, over, bad,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, finished, latency:percentile(99), total))
end
"""


@dataclass
class Point:
    """One wrk run's figures (latencies in milliseconds)."""

    rate: float
    p50: float
    p90: float
    p99: float
    max: float
    over_1s: int
    non_200: int
    errors: int
    finished: int
    requests: int
    screenings: int  #: finished screenings if every conversation kept its place
    wrk_p99: float  #: wrk's own p99, with its coordinated-omission copies (see LUA)
    cpu_us: float = 0.0  #: the server process's CPU (user + system, all threads) a request


def sessions_for(connections: int) -> int:
    """Sessions a point at ``connections`` drives: twice as many, 400 at least, so a
    session's reply normally arrives before its next message leaves."""
    return max(SESSIONS, 2 * connections)


def lua_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid Lua string here


def run_wrk(url: str, path: str, script: list[str], tokens: list[str], connections: int,
            seconds: float, server: int | None = None) -> Point:
    """One wrk run (one thread) of ``script`` for ``tokens`` against ``url`` + ``path``;
    with the ``server``'s pid, its CPU a request too."""
    bodies = [json.dumps({"text": text}, ensure_ascii=False) for text in script]
    lua_text = LUA % {"tokens": ", ".join(lua_string(t) for t in tokens),
                      "bodies": ", ".join(lua_string(b) for b in bodies), "path": path,
                      "connections": connections}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", encoding="utf-8") as lua:
        lua.write(lua_text)
        lua.flush()
        cpu = cpu_seconds({server}) if server else 0.0
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s",
             "-s", lua.name, url], capture_output=True, text=True, check=True).stdout
        cpu = cpu_seconds({server}) - cpu if server else 0.0
    line = next(x for x in out.splitlines() if x.startswith("SATURATION "))
    got = json.loads(line.removeprefix("SATURATION "))
    if got["recorded"] != got["requests"]:  # over wrk's --timeout, or copies left over
        print(f"saturation: {got['requests']} requests, {got['recorded']} latencies")
    return Point(rate=got["requests"] / (got["micros"] / 1e6), p50=got["p50"] / 1000,
                 p90=got["p90"] / 1000, p99=got["p99"] / 1000, max=got["max"] / 1000,
                 over_1s=got["over_1s"], non_200=got["non_200"], errors=got["errors"],
                 finished=got["finished"], requests=got["requests"],
                 screenings=screenings(got["requests"], len(tokens), len(script)),
                 wrk_p99=got["wrk_p99"] / 1000,
                 cpu_us=1e6 * cpu / got["requests"] if got["requests"] else 0.0)


def screenings(requests: int, sessions: int, messages: int) -> int:
    """Screenings ``requests`` requests finish if every conversation keeps its place:
    request n is message (n div sessions) mod messages of its session."""
    cycles, rest = divmod(requests, sessions * messages)
    return cycles * sessions + max(0, rest - (messages - 1) * sessions)


def show(name: str, connections: int, point: Point, echo: float | None,
         stack: float | None = None) -> None:
    ratio = f"{point.rate / echo:5.2f}" if echo else "    –"
    if stack:
        ratio += f" (÷stack {point.rate / stack:4.2f})"
    flows = "" if echo is None or name == "stack" else (
        f"  screenings {point.finished} of {point.screenings}")
    print(f"{name:<9} {connections:>5} conn  {point.rate:7.0f} /s  ratio {ratio}  "
          f"p50 {point.p50:6.1f}  p90 {point.p90:6.1f}  p99 {point.p99:6.1f}  "
          f"max {point.max:7.1f} ms  >1s {point.over_1s:>4}  wrk-p99 {point.wrk_p99:6.0f}  "
          f"cpu {point.cpu_us:4.0f} µs  non-200 {point.non_200 + point.errors}{flows}",
          flush=True)


async def echo_points(conns: list[int], seconds: float) -> dict[int, Point]:
    port = free_port()
    proc = start_process(ECHO % port)
    try:
        await wait_ready(f"http://127.0.0.1:{port}/", proc)
        url = f"http://127.0.0.1:{port}"
        run_wrk(url, "/echo", [START], ["-"], 50, 1)  # warm-up
        points = {}
        for c in conns:
            points[c] = await asyncio.to_thread(run_wrk, url, "/echo", ECHO_SCRIPT, ["-"],
                                                c, seconds, proc.pid)
            show("echo", c, points[c], None)
        return points
    finally:
        proc.terminate()
        proc.wait()


async def learn_script(base: str, token: str) -> list[str]:
    """The messages of one building screening, keyword to confirmation, answering each
    question as ``_screening.ANSWERS`` says (the flow's steps may change); checked to end
    with the "已登记" reply."""
    script = [START]
    async with aiohttp.ClientSession() as session:
        while len(script) < 30:
            async with session.post(base + "/api/v1/chat", json={"text": script[-1]},
                                    headers={"Authorization": "Bearer " + token}) as resp:
                body = await resp.json()
                if resp.status != 200:
                    raise RuntimeError(body)
            last = joined([reply.get("text") or "" for reply in body["replies"]])
            if DONE in last:
                return script
            answer = answer_for(last)
            if answer is None:
                raise RuntimeError(f"saturation: no answer for {last!r}")
            script.append(answer)
    raise RuntimeError(f"saturation: the screening did not end: {script}")


def py_spy(pid: int, seconds: float, out: str) -> subprocess.Popen[bytes]:
    """py-spy (PyPI, not a dependency: ``pip install py-spy``) sampling ``pid`` at 200 Hz
    for ``seconds``, collapsed stacks (``--format raw``) to ``out``, native frames off."""
    return subprocess.Popen(["py-spy", "record", "-r", "200", "-d", str(int(seconds)),
                             "-p", str(pid), "-f", "raw", "-o", out, "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def tongguan_points(label: str, url: str, conns: list[int], seconds: float,
                          profile: str | None = None, *, stack: bool = False
                          ) -> dict[int, Point]:
    """The points of ``tongguan serve`` on database ``url`` (``stack``: of :data:`STACK`,
    the same app answering with an echo)."""
    port = free_port()
    env = {"TONGGUAN_DATABASE_URL": url, "TONGGUAN_LOG_LEVEL": "WARNING",
           "TONGGUAN_FLOWS_RELOAD_SECONDS": "0"}
    proc = start_process((STACK if stack else SERVE) % port, env)
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_ready(base + "/healthz", proc)
        sizes = [SESSIONS, *(sessions_for(c) for c in conns)]  # the warm-up's first
        made, _ = await open_sessions(base, sum(sizes), 50)
        if not stack:  # the screening is for community workers
            await grant_workers(url, [m["user_key"] for m in made])
            await asyncio.sleep(1.1)  # a grant is seen within chat_roles.MISS_SECONDS
        tokens = [m["token"] for m in made]
        path = "/stack-echo" if stack else "/api/v1/chat"
        script = ECHO_SCRIPT if stack else await learn_script(base, tokens[0])
        if not stack:
            print(f"{label}: {len(script)} messages a screening: {' / '.join(script)}")
        await asyncio.to_thread(run_wrk, base, path, script,
                                tokens[1:SESSIONS], 50, 2)  # warm-up
        points = {}
        start = SESSIONS
        for c, size in zip(conns, sizes[1:], strict=True):
            batch, start = tokens[start:start + size], start + size
            spy = py_spy(proc.pid, seconds - 1, f"{profile}-{label}-{c}.txt") \
                if profile else None
            points[c] = await asyncio.to_thread(run_wrk, base, path, script, batch,
                                                c, seconds, proc.pid)
            if spy is not None:
                spy.wait()
        if proc.poll() is not None:
            raise RuntimeError(f"the server died: {label}")
        return points
    finally:
        proc.terminate()
        proc.wait()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="4 s per point")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", default="50,200,1000")
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--profile", metavar="PREFIX", help="py-spy the server at each "
                        "point: collapsed stacks to PREFIX-<db>-<connections>.txt")
    parser.add_argument("--postgres", default=os.environ.get(
        "TONGGUAN_BENCH_POSTGRES_URL", os.environ.get(
            "TONGGUAN_TEST_POSTGRES_URL",
            "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")))
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("saturation: not measured (no wrk; apt-get install wrk)")
        return
    seconds = 4.0 if args.quick else args.seconds
    conns = [int(c) for c in args.connections.split(",")]
    print(f"saturation: wrk, 1 thread, {seconds:g} s a point, sessions: "
          f"{', '.join(str(sessions_for(c)) for c in conns)}; "
          f"{os.cpu_count()} cores shared by all (read the ratios to the echo of the same run)")
    echo = [await echo_points(conns, seconds)]
    results: dict[str, dict[int, Point]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["stack"] = await tongguan_points(
            "stack", f"sqlite+aiosqlite:///{Path(tmp) / 'stack.db'}", conns, seconds,
            stack=True)
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            results["sqlite"] = await tongguan_points(
                "sqlite", f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", conns, seconds,
                args.profile)
    if args.only in (None, "postgres"):
        async with throwaway_postgres(args.postgres) as url:
            if url is not None:
                results["postgres"] = await tongguan_points("postgres", url, conns,
                                                             seconds, args.profile)
    echo.append(await echo_points(conns, seconds))
    for label, points in results.items():
        for c, point in points.items():
            show(label, c, point, statistics.mean(e[c].rate for e in echo),
                 None if label == "stack" else results["stack"][c].rate)


if __name__ == "__main__":
    asyncio.run(main())
