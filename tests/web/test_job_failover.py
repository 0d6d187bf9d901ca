"""Two real ``tongguan serve`` processes on one PostgreSQL: one holds the job runner's
lease and runs the shared jobs (the daily supply release runs once, not twice); killed
with SIGKILL, the other takes the jobs over within the lease."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import ROOT, TEST_SECRET
from tests.web.test_two_servers import _free_port, _wait_ready

LEASE = 2.0


@pytest.fixture
def servers(postgres_url: str, tmp_path: Path) -> Iterator[list[subprocess.Popen]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGGUAN_")}
    env.update(PYTHONPATH=str(ROOT), TONGGUAN_SECRET_KEY=TEST_SECRET,
               TONGGUAN_DATABASE_URL=postgres_url, TONGGUAN_KEYS_DIR=str(tmp_path / "keys"),
               TONGGUAN_LOG_LEVEL="WARNING", TONGGUAN_FLOWS_RELOAD_SECONDS="0",
               TONGGUAN_JOBS_LEASE_SECONDS=str(LEASE),
               TONGGUAN_JOBS_SUPPLY_RELEASE_AT="00:00")  # due at any hour of the city's day
    procs = []
    try:
        for _ in range(2):  # one after the other: both would run the same migrations
            port = _free_port()
            proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--host",
                                     "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            procs.append(proc)
            asyncio.run(_wait_ready(f"http://127.0.0.1:{port}/healthz", proc))
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
            proc.communicate(timeout=60)


async def _lease_and_jobs(url: str) -> tuple[tuple, dict[str, tuple]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            lease = (await conn.execute(sa.text(
                "SELECT holder, until, now() FROM job_leases WHERE name = 'runner'"))).first()
            jobs = {row[0]: tuple(row[1:]) for row in await conn.execute(sa.text(
                "SELECT name, runs, last_started, failures FROM job_state"))}
    finally:
        await engine.dispose()
    return (tuple(lease) if lease else ()), jobs


def _pid(holder: str) -> int:
    return int(holder.split(":")[1])


async def test_a_killed_runner_is_replaced_within_the_lease(
        servers: list[subprocess.Popen], postgres_url: str) -> None:
    pids = {proc.pid for proc in servers}
    while True:  # both up; the runner has run the outbox a few times
        lease, jobs = await _lease_and_jobs(postgres_url)
        if lease and jobs.get("outbox.deliver", (0,))[0] >= 3:
            break
        await asyncio.sleep(0.1)
    holder, until, _ = lease
    assert _pid(holder) in pids
    assert jobs["reservations.release"][0] == 1  # the daily release: once, not per process
    assert all(failures == 0 for _, _, failures in jobs.values())

    os.kill(_pid(holder), signal.SIGKILL)
    killed_at = until - timedelta(seconds=LEASE)  # its last renewal, at the latest
    while True:
        lease, jobs = await _lease_and_jobs(postgres_url)
        if lease and lease[0] != holder:
            break
        await asyncio.sleep(0.1)
    new_holder, new_until, _ = lease
    assert _pid(new_holder) in pids - {_pid(holder)}
    taken_at = new_until - timedelta(seconds=LEASE)
    # Taken at the first try after the dead holder's lease ran out (tries come every
    # lease / 3), so within the lease of its last renewal.
    assert until <= taken_at <= until + timedelta(seconds=LEASE / 3 + 1.0)
    assert taken_at - killed_at <= timedelta(seconds=2 * LEASE)
    seen = jobs["outbox.deliver"][0]
    while (await _lease_and_jobs(postgres_url))[1]["outbox.deliver"][0] < seen + 3:
        await asyncio.sleep(0.1)  # the new runner runs the jobs
    assert (await _lease_and_jobs(postgres_url))[1]["reservations.release"][0] == 1
