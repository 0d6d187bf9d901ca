"""The job runner on SQLite and PostgreSQL: two runners on one database elect one, a
shared job runs once, a run by hand never overlaps a running one, failures are recorded,
and the schedules say when a job is due."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.hub import Hub, open_base_hub
from bot.services.jobs import JobRunner, JobStore, ScheduleError, parse_schedule
from tests.conftest import make_settings

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class TestJob:
    """A job as ``bot.features.Job`` declares one."""

    __test__ = False
    name: str
    run: Callable[[Hub], Awaitable[object]]
    schedule: Callable[[Settings], str]
    each_process: bool = False


@pytest.fixture
async def hubs(database_url: str, tmp_path: Path) -> AsyncIterator[list[Hub]]:
    """Two processes' hubs on one database, with a short lease."""
    settings = make_settings(database_url, tmp_path)
    settings = dataclasses.replace(settings, jobs=dataclasses.replace(settings.jobs,
                                                                      lease_seconds=0.6))
    async with open_base_hub(settings) as one, open_base_hub(settings) as two:
        yield [one, two]


async def until(condition: Callable[[], Awaitable[bool] | bool]) -> None:
    """Wait for ``condition`` (no time limit: the test run's own bounds it)."""
    while True:
        result = condition()
        if await result if not isinstance(result, bool) else result:
            return
        await asyncio.sleep(0.02)


async def test_two_runners_elect_one_and_a_due_job_runs_once(hubs: list[Hub]) -> None:
    calls: list[str] = []

    async def work(hub: Hub) -> int:
        calls.append("ran")
        return len(calls)

    job = TestJob("test.once", work, lambda s: "every 3600s")
    runners = [JobRunner(hub, [job], holder=f"p{i}") for i, hub in enumerate(hubs)]
    tasks = [asyncio.create_task(r.run_forever()) for r in runners]
    try:
        await until(lambda: any(r.polls >= 5 for r in runners)
                    and all(r.lease_attempts >= 5 for r in runners))
        assert calls == ["ran"]
        assert sum(r.leader for r in runners) == 1
        state = (await JobStore(hubs[0].db, hubs[0].clock).states())["test.once"]
        assert state.runs == 1 and state.last_result == "1" and state.last_error is None
        assert state.next_due is not None and state.next_due > hubs[0].clock.now()
        # A clean stop hands the lease over at once: the other runner takes it.
        leader = next(i for i, r in enumerate(runners) if r.leader)
        tasks[leader].cancel()
        await asyncio.gather(tasks[leader], return_exceptions=True)
        other = runners[1 - leader]
        await until(lambda: other.leader)
        lease = await JobStore(hubs[0].db, hubs[0].clock).lease()
        assert lease is not None and lease.holder == other.holder
        await until(lambda: other.polls >= 3)
        assert calls == ["ran"]  # the new runner continues the schedule: not due yet
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_run_by_hand_waits_for_a_running_one_and_errors_are_kept(
        hubs: list[Hub]) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(hub: Hub) -> str:
        started.set()
        await release.wait()
        return "slow done"

    async def broken(hub: Hub) -> None:
        raise ValueError("no stock file")

    jobs = [TestJob("test.slow", slow, lambda s: "every 3600s"),
            TestJob("test.broken", broken, lambda s: "every 3600s")]
    one, two = (JobRunner(hub, jobs, holder=f"p{i}") for i, hub in enumerate(hubs))
    store = JobStore(hubs[0].db, hubs[0].clock)
    await store.ensure({"test.slow": hubs[0].clock.now(), "test.broken": hubs[0].clock.now()})
    running = asyncio.create_task(one.run_job(jobs[0]))
    await started.wait()
    assert await two.run_job(jobs[0]) is False  # claimed by p0
    assert (await store.states())["test.slow"].running_by == "p0"
    release.set()
    assert await running is True
    state = (await store.states())["test.slow"]
    assert (state.runs, state.last_result, state.running_by) == (1, "slow done", None)

    assert await two.run_job(jobs[1]) is True
    state = (await store.states())["test.broken"]
    assert (state.runs, state.failures) == (1, 1)
    assert state.last_error == "ValueError: no stock file"


async def test_each_process_jobs_run_in_every_runner_without_the_lease(
        hubs: list[Hub]) -> None:
    seen: list[int] = []

    async def reload(hub: Hub) -> None:
        seen.append(id(hub))

    job = TestJob("test.reload", reload, lambda s: "every 0.01s", each_process=True)
    runners = [JobRunner(hub, [job], holder=f"p{i}") for i, hub in enumerate(hubs)]
    tasks = [asyncio.create_task(r.run_forever()) for r in runners]
    try:
        await until(lambda: {id(h) for h in hubs} <= set(seen))
        assert not any(r.leader for r in runners)  # no shared job: no lease taken
        assert await JobStore(hubs[0].db, hubs[0].clock).lease() is None
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def test_schedules() -> None:
    every = parse_schedule("every 2.5s", SHANGHAI)
    now = datetime(2020, 2, 4, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert every.first_due(now) == now
    assert every.next_after(now) == now + timedelta(seconds=2.5)
    daily = parse_schedule("daily 07:30", SHANGHAI)
    assert daily.daily == time(7, 30)
    # First start after today's time: due at once (a missed release still happens)...
    assert daily.first_due(now) == datetime(2020, 2, 4, 7, 30, tzinfo=SHANGHAI)
    # ...and after a run, tomorrow's time.
    assert daily.next_after(now) == datetime(2020, 2, 5, 7, 30, tzinfo=SHANGHAI)
    early = datetime(2020, 2, 3, 22, 0, tzinfo=UTC)  # 06:00 in Shanghai
    assert daily.next_after(early) == datetime(2020, 2, 4, 7, 30, tzinfo=SHANGHAI)
    assert parse_schedule("off", SHANGHAI).off and parse_schedule("every 0s", SHANGHAI).off
    assert parse_schedule("always", SHANGHAI).always
    for bad in ("every", "every -1s", "daily 25:00", "hourly", "every 5"):
        with pytest.raises(ScheduleError):
            parse_schedule(bad, SHANGHAI)
