"""WeChat and JSON API users at once against one server, for bench/mixed_load.py.

Each user holds a conversation in a closed loop (the next message leaves when the
answer to the last one is in) and reads every answer: ``expect(sent, reply)`` gives the
next message, or None when the reply is not the kind expected (an error). A WeChat
message answered ``success`` (late: after the server's reply budget) is answered by a
customer-service push, which the fake WeChat API hands to the user (:class:`PushBox`).
The run is timed by a window after a warm-up: rates and percentiles count the turns
answered inside it; the CPU each part spent inside it is read from ``/proc``.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
from _http_load import cpu_seconds, percentile

from bot.channels.wechat.testing import FakeWechatApi, WechatEmulator

PUSH_WAIT = 30.0  #: seconds a user waits for the push of a late answer
ERRORS_IN_A_ROW = 3  #: a user who gets this many errors in a row stops
#: (reply text or None, problem ("" when none), answered late by a push)
Answer = tuple[str | None, str, bool]
Ask = Callable[[str], Awaitable[Answer]]
Expect = Callable[[str, str], str | None]


class PushBox(FakeWechatApi):
    """The fake WeChat API, handing each customer-service text to the user awaiting it."""

    def __init__(self, app_id: str, app_secret: str) -> None:
        super().__init__(app_id, app_secret)
        self.boxes: defaultdict[str, asyncio.Queue[str]] = defaultdict(asyncio.Queue)

    async def _send(self, request):  # type: ignore[no-untyped-def]
        answer = await super()._send(request)
        if json.loads(answer.text)["errcode"] == 0:
            body = json.loads(await request.read())
            self.boxes[body["touser"]].put_nowait(body.get("text", {}).get("content", ""))
        return answer


@dataclass(frozen=True)
class Turn:
    """One message and its answer."""

    channel: str  #: "wechat" or "api"
    done: float  #: time.perf_counter() when the answer arrived
    seconds: float
    problem: str = ""  #: "" when the answer was the kind expected
    late: bool = False  #: WeChat: answered by a push after `success`
    finished: bool = False  #: the answer recorded a screening


def wechat_ask(wx: WechatEmulator, box: PushBox, openid: str) -> Ask:
    """One WeChat user's messages: encrypted callbacks, their passive answers or pushes."""
    inbox = box.boxes[openid]

    async def ask(text: str) -> Answer:
        while not inbox.empty():  # a push that came after its wait ran out
            inbox.get_nowait()
        delivery = await wx.text(openid, text)
        if delivery.failed:
            return None, "wechat: " + delivery.problem.split(":")[-1].strip(), False
        if delivery.reply is not None:
            return delivery.text, "", False
        try:
            return await asyncio.wait_for(inbox.get(), PUSH_WAIT), "", True
        except TimeoutError:
            return None, "push never came", True
    return ask


def api_ask(http: aiohttp.ClientSession, base: str, token: str) -> Ask:
    """One JSON API user's messages (``POST /api/v1/chat`` with its session token)."""
    headers = {"Authorization": "Bearer " + token}

    async def ask(text: str) -> Answer:
        try:
            async with http.post(base + "/api/v1/chat", json={"text": text},
                                 headers=headers) as resp:
                if resp.status != 200:
                    return None, f"HTTP {resp.status}", False
                body = await resp.json()
        except (aiohttp.ClientError, TimeoutError) as err:
            return None, type(err).__name__, False
        return "\n\n".join(r.get("text") or "" for r in body["replies"]), "", False
    return ask


async def converse(channel: str, ask: Ask, expect: Expect, start: str, done_mark: str,
                   turns: list[Turn], stop: asyncio.Event) -> None:
    """One user's conversation until ``stop``; after an error it starts over."""
    text, in_a_row = start, 0
    while not stop.is_set() and in_a_row < ERRORS_IN_A_ROW:
        began = time.perf_counter()
        reply, problem, late = await ask(text)
        following = expect(text, reply) if reply is not None else None
        if reply is not None and following is None:
            problem = "unexpected reply"
        now = time.perf_counter()
        turns.append(Turn(channel, now, now - began, problem, late,
                          reply is not None and done_mark in reply))
        in_a_row = in_a_row + 1 if problem else 0
        text = following or start


def _machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has spent busy (not idle, not waiting on
    I/O) since boot, from ``/proc/stat``."""
    with open("/proc/stat") as stat:
        ticks = [int(n) for n in stat.readline().split()[1:8]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> set[int]:
    """``pid`` and its children (the gunicorn arbiter's workers)."""
    tree = {pid}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        tree.add(int(entry))
            except OSError:
                continue
    return tree


@dataclass
class Run:
    """One timed run: every turn, the window, CPU seconds spent in the window."""

    turns: list[Turn]
    window: tuple[float, float]
    #: part → CPU seconds in the window ("other processes": the rest of the machine's)
    cpu: dict[str, float] = field(default_factory=dict)
    connections: int = 0  #: most PostgreSQL connections to the run's database at once
    rows: int | None = None  #: ``turns`` rows the server logged (one per message run)
    commits: int | None = None  #: transactions committed in the database in the window

    @property
    def seconds(self) -> float:
        return self.window[1] - self.window[0]

    def timed(self, channel: str | None = None) -> list[Turn]:
        start, end = self.window
        return [t for t in self.turns if start <= t.done < end
                and (channel is None or t.channel == channel)]

    def rate(self, channel: str | None = None) -> float:
        """Turns answered as expected per second in the window."""
        return sum(not t.problem for t in self.timed(channel)) / self.seconds

    def latency(self, channel: str | None, q: float) -> float:
        """Milliseconds: the ``q`` quantile of the window's answered turns."""
        return percentile([t.seconds for t in self.timed(channel) if not t.problem], q) * 1000

    def errors(self, channel: str | None = None) -> Counter[str]:
        """Problems by kind, over the whole run (warm-up and drain too)."""
        return Counter(t.problem for t in self.turns
                       if t.problem and (channel is None or t.channel == channel))


async def drive(users: list[tuple[str, Ask, Expect]], start: str, done_mark: str,
                warmup: float, seconds: float, *, server_pid: int,
                database: Callable[[], Awaitable[tuple[set[int], int]]] | None = None) -> Run:
    """All ``users`` (channel, ask, expect) at once: ``warmup`` seconds, then a window of
    ``seconds``; then they stop after their current turn. ``database`` gives the database
    backends serving the run (for their CPU and the connection peak) and the transactions
    committed in its database so far."""
    turns: list[Turn] = []
    stop = asyncio.Event()
    tasks = [asyncio.ensure_future(converse(channel, ask, expect, start, done_mark, turns,
                                            stop)) for channel, ask, expect in users]
    await asyncio.sleep(warmup)
    servers = process_tree(server_pid)

    async def snapshot() -> tuple[float, dict[str, float], set[int]]:
        backends, commits = await database() if database else (set(), 0)
        return time.perf_counter(), {"server": cpu_seconds(servers),
                                     "postgres": cpu_seconds(backends),
                                     "load generator": time.process_time(),
                                     "machine": _machine_busy_seconds(),
                                     "commits": commits}, backends

    began, cpu0, backends = await snapshot()
    peak = len(backends)
    while time.perf_counter() < began + seconds:
        await asyncio.sleep(min(1.0, max(0.0, began + seconds - time.perf_counter())))
        if database and time.perf_counter() < began + seconds:
            peak = max(peak, len((await database())[0]))
    ended, cpu1, backends = await snapshot()
    stop.set()
    cpu = {k: cpu1[k] - cpu0[k] for k in cpu0}
    commits = int(cpu.pop("commits"))
    cpu["other processes"] = cpu.pop("machine") - sum(cpu.values())
    run = Run(turns, (began, ended), cpu, max(peak, len(backends)),
              commits=commits if database else None)
    _, pending = await asyncio.wait(tasks, timeout=PUSH_WAIT + 15)
    for task in pending:
        task.cancel()
    return run
