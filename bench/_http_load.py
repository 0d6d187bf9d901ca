"""Shared load-driving helpers for the HTTP benchmarks: servers in child processes,
concurrent clients, latency percentiles, throw-away PostgreSQL databases, staff-role
grants for the chat identities a benchmark drives."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: every bench server: the committed development secret is fine, and the abuse limits are
#: off (a bench creates thousands of sessions from 127.0.0.1)
BENCH_SERVER_ENV = {"TONGGUAN_ENV": "development", "TONGGUAN_RATE_LIMITS_ENABLED": "false"}


def start_process(code: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Run ``code`` in a child Python. Its stderr goes to a temporary file (``.stderr``
    holds it, rewound): a pipe nobody reads would block the child once it fills up."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **BENCH_SERVER_ENV, **(env or {})}
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the Popen object
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=full_env,
                            stdout=subprocess.DEVNULL, stderr=log)
    proc.stderr = log
    return proc


def stderr_tail(proc: subprocess.Popen, limit: int = 2000) -> str:
    """The last ``limit`` characters the child wrote to stderr."""
    proc.stderr.seek(0)
    return proc.stderr.read().decode(errors="replace")[-limit:]


async def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(stderr_tail(proc))
            try:
                async with session.get(url) as resp:
                    if resp.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} not ready")


def cpu_seconds(pids: set[int]) -> float:
    """User + system CPU seconds of ``pids`` so far (those still alive)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def run_users(users: int, concurrency: int,
                    user_fn: Callable[[aiohttp.ClientSession, list[float]], Awaitable[None]]
                    ) -> tuple[float, list[float]]:
    """Run ``users`` user scripts, ``concurrency`` at a time; returns (seconds, latencies)."""
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def one() -> None:
            async with gate:
                await user_fn(session, latencies)

        start = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(users)))
        return time.perf_counter() - start, latencies


async def grant_workers(url: str, user_keys: list[str]) -> None:
    """Make every chat identity (``web:…``, ``wechat:…``) a community worker, the
    building screening's audience: one ``INSERT`` of many rows (1,000 a statement)
    straight into the server's database, before anything is timed."""
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.db.models.roles import ChatRole

    now = datetime.now(UTC)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for at in range(0, len(user_keys), 1000):
                await conn.execute(sa.insert(ChatRole).values([
                    {"user_key": key, "role": "community_worker", "granted_by": "bench",
                     "granted_at": now} for key in user_keys[at:at + 1000]]))
    finally:
        await engine.dispose()


@asynccontextmanager
async def throwaway_postgres(admin_url: str) -> AsyncIterator[str | None]:
    """A new empty PostgreSQL database (its SQLAlchemy URL), dropped afterwards; None,
    with a line saying so, when the server cannot be reached."""
    import asyncpg

    admin = admin_url.replace("postgresql+asyncpg://", "postgresql://")
    name = f"tongguan_bench_{secrets.token_hex(4)}"
    try:
        conn = await asyncpg.connect(admin)
    except OSError as err:
        print(f"postgres: not measured ({err})")
        yield None
        return
    await conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
