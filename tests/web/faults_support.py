"""Shared parts of the fault tests (tests/web/test_faults_*.py): a private PostgreSQL
cluster that a test may stop and restart, real ``tongguan serve`` processes that a test
may kill, WeChat users who retry like WeChat through a balancer in front of several
servers, and made-up residents with valid ID numbers.

The shared PostgreSQL on 127.0.0.1:5432 is never stopped: a test that takes the
database away starts its own cluster (Debian's ``initdb`` and ``pg_ctl``, run as the
``postgres`` user when the tests run as root). Without those binaries the test is
skipped, except in CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.channels.wechat.testing import WechatEmulator
from bot.channels.wechat.testing.emulator import Delivery, Message, ReplyError
from bot.dialogue.slots.identity import id_check_digit
from tests.conftest import ROOT, TEST_SECRET

APP_ID = "wx5f2a9c3e7d1b4a60"
APP_SECRET = "c0ffee" * 5 + "ab"
TOKEN = "tongguan-fault-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  #: 43 characters, a test key
PG_BIN_ENV = "TONGGUAN_TEST_PG_BINDIR"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def skip_or_fail(reason: str) -> None:
    """Skip a test that cannot run here; in CI that is a failure."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: the fault tests must run)")
    pytest.skip(reason)


# -- residents ---------------------------------------------------------------------------
def resident_id(n: int) -> str:
    """A valid 18-digit ID number (GB 11643 check digit), different for every ``n``."""
    first17 = f"110105{19700101 + (n // 900) * 10000:08d}{n % 900 + 100:03d}"
    return first17 + id_check_digit(first17)


def declaration(id_number: str, name: str = "张三明") -> list[str]:
    """A health declaration for oneself, message by message (a green code at the end)."""
    return ["健康申报", "1", name, id_number, "13812345678", "江岸区", "花桥街一村社区",
            "12号楼", "36.5", "没有", "没有离开本市", "否", "未隔离", "是", "确认"]


# -- a private PostgreSQL cluster ----------------------------------------------------------
def pg_bindir() -> Path | None:
    """Where ``initdb`` and ``pg_ctl`` are: $TONGGUAN_TEST_PG_BINDIR, Debian's
    /usr/lib/postgresql/<newest>/bin, or the PATH."""
    if chosen := os.environ.get(PG_BIN_ENV):
        return Path(chosen)
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                    key=lambda p: int(Path(p).parent.parent.name))
    if debian:
        return Path(debian[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on ``127.0.0.1:<port>``: trust authentication,
    no sockets elsewhere, data in a temporary folder. As root, every command runs as the
    ``postgres`` user (PostgreSQL refuses to run as root)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="tongguan-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run([*self._as, str(self.bindir / tool), *args],
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)} failed: {done.stdout}{done.stderr}"
                               f"{self.server_log()}")

    def server_log(self, limit: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-limit:]
        except OSError:
            return ""

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                       f"unix_socket_directories = '{self.root}'\nfsync = off\n"
                       "max_connections = 200\nshared_buffers = 32MB\n")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                  "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: sessions are ended, as a restart does)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        done = subprocess.run([*self._as, str(self.bindir / "pg_ctl"), "-D", str(self.data),
                               "status"], capture_output=True, text=True)
        return done.returncode == 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            if self.running():
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A running private cluster, removed afterwards (skipped without the binaries,
    except in CI)."""
    bindir = pg_bindir()
    if bindir is None or not (bindir / "initdb").exists() or not (bindir / "pg_ctl").exists():
        skip_or_fail(f"no PostgreSQL server binaries (initdb, pg_ctl); set {PG_BIN_ENV}")
    assert bindir is not None
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        skip_or_fail("running as root without runuser: cannot start PostgreSQL")
    cluster = PrivatePostgres(bindir)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


# -- server processes ----------------------------------------------------------------------
def server_env(database_url: str, keys: Path, **extra: str) -> dict[str, str]:
    """The environment of a test ``tongguan serve``: the test secret, its database and
    keys, no abuse limits (every client is 127.0.0.1), no flow file polling, and small
    pools (at most 5 × 4 connections a process: the shared PostgreSQL serves other
    tests' servers too, within its 100 connections)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TONGGUAN_") and k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(PYTHONPATH=str(ROOT), TONGGUAN_SECRET_KEY=TEST_SECRET,
               TONGGUAN_DATABASE_URL=database_url, TONGGUAN_KEYS_DIR=str(keys),
               TONGGUAN_LOG_LEVEL="WARNING", TONGGUAN_FLOWS_RELOAD_SECONDS="0",
               TONGGUAN_RATE_LIMITS_ENABLED="false", TONGGUAN_DATABASE_POOL_SIZE="4")
    env.update(extra)
    return env


def wechat_env(api_base: str) -> dict[str, str]:
    """Settings of the WeChat channel, its API at ``api_base`` (the fake)."""
    return {"TONGGUAN_WECHAT_APP_ID": APP_ID, "TONGGUAN_WECHAT_APP_SECRET": APP_SECRET,
            "TONGGUAN_WECHAT_TOKEN": TOKEN, "TONGGUAN_WECHAT_AES_KEY": AES_KEY,
            "TONGGUAN_WECHAT_API_BASE": api_base}


class Server:
    """One ``tongguan serve`` process on a fixed port; its log goes to a file (a pipe
    nobody reads would block it). It can be killed and started again on that port."""

    def __init__(self, name: str, env: dict[str, str], logs: Path,
                 args: tuple[str, ...] = ()) -> None:
        self.name = name
        self.env = env
        self.args = args
        self.port = free_port()
        self.logs = logs
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_path(self) -> Path:
        return self.logs / f"{self.name}-{self.starts}.log"

    async def start(self) -> None:
        self.starts += 1
        with self.log_path().open("wb") as sink:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port",
                 str(self.port), *self.args], cwd=ROOT, env=self.env,
                stdout=sink, stderr=subprocess.STDOUT)
        await self.wait_ready()

    async def wait_ready(self) -> None:
        async with aiohttp.ClientSession() as http:
            while self.alive:
                try:
                    async with http.get(self.base + "/readyz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"{self.name} died: {self.tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no lease given up, open transactions cut."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def tail(self, limit: int = 4000) -> str:
        try:
            return self.log_path().read_text(errors="replace")[-limit:]
        except OSError:
            return ""

    def all_logs(self) -> str:
        return "".join(f"--- {p.name}\n" + p.read_text(errors="replace")
                       for p in sorted(self.logs.glob(f"{self.name}-*.log")))


def stop_all(servers: list[Server], *, failed: bool) -> None:
    """Stop the servers; after a failure print their logs (pytest shows them)."""
    for server in servers:
        server.stop()
    if failed:
        keep = os.environ.get("TONGGUAN_TEST_FAULT_LOGS")  # a folder to keep whole logs in
        for server in servers:
            print(server.all_logs()[-200000:])
            if keep:
                Path(keep).mkdir(parents=True, exist_ok=True)
                for log in server.logs.glob(f"{server.name}-*.log"):
                    shutil.copy(log, Path(keep) / f"{int(time.time())}-{log.name}")


# -- WeChat users behind a balancer ----------------------------------------------------------
@dataclasses.dataclass
class Balancer:
    """What a load balancer in front of the servers does for WeChat's requests: it sends
    each to a live server (never to one it knows is down), a user's first try to the
    user's own server (hashing the openid), a retry to the next one."""

    servers: list[Server]
    in_flight: dict[str, int] = dataclasses.field(default_factory=dict)

    def pick(self, home: int, attempt: int) -> Server:
        order = [self.servers[(home + attempt + i) % len(self.servers)]
                 for i in range(len(self.servers))]
        return next((s for s in order if s.alive), order[0])


async def deliver(wx: WechatEmulator, message: Message, balancer: Balancer, home: int, *,
                  tries: int = 3, gap: float = 5.0, timeout: float = 5.0,
                  path: str = "/wechat") -> Delivery:
    """Post ``message`` as WeChat does: wait ``timeout`` for an answer, try again
    ``gap`` seconds after the last try began when it failed (timeout, refused or cut
    connection, 5xx), ``tries`` times in all, the very same message each time (same
    MsgId); each try goes where the balancer sends it. The accepted reply is checked
    like WeChat checks it (signature, decryption, addressing)."""
    session = wx._session = wx._session or aiohttp.ClientSession()
    result = Delivery()
    loop = asyncio.get_running_loop()
    started = loop.time()
    for attempt in range(tries):
        result.attempts = attempt + 1
        began = loop.time()
        server = balancer.pick(home, attempt)
        query, body = wx.signed(message)
        balancer.in_flight[server.name] = balancer.in_flight.get(server.name, 0) + 1
        try:
            async with session.post(server.base + path, params=query, data=body,
                                    headers={"Content-Type": "text/xml"},
                                    timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
                result.status, result.body = resp.status, await resp.text()
        except (TimeoutError, aiohttp.ClientError) as err:
            result.problem = f"attempt {attempt + 1} at {server.name}: {type(err).__name__}"
            result.status = 0
        finally:
            balancer.in_flight[server.name] -= 1
        if result.status and result.status < 500:
            break
        if result.status:
            result.problem = f"attempt {attempt + 1} at {server.name}: HTTP {result.status}"
        result.bodies.append(result.body)
        if attempt + 1 < tries:
            await asyncio.sleep(max(0.0, began + gap - loop.time()))
    else:
        result.failed = True
        result.elapsed = loop.time() - started
        return result
    result.elapsed = loop.time() - started
    if result.status != 200:
        result.failed, result.problem = True, f"HTTP {result.status}"
        return result
    try:
        result.reply = wx.check_reply(result.body, message.openid)
    except ReplyError as err:
        result.failed, result.problem = True, str(err)
    return result


def emulator(session: aiohttp.ClientSession, url: str = "http://unused/wechat"
             ) -> WechatEmulator:
    """An emulated WeChat in safe mode (encrypted both ways) for our test account."""
    return WechatEmulator(url, token=TOKEN, app_id=APP_ID, aes_key=AES_KEY, mode="safe",
                          session=session)


async def wait_for(check: Callable[[], Any], what: str, *, limit: float,
                   interval: float = 0.2) -> Any:
    """Poll ``check()`` (sync or async) until it returns something truthy; fail naming
    ``what`` after ``limit`` seconds. The limit is a bound the product promises (a lease,
    a back-off cap), far above the usual wait, so a broken promise fails instead of
    hanging the suite."""
    deadline = time.monotonic() + limit
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {limit:g} s")
        await asyncio.sleep(interval)
