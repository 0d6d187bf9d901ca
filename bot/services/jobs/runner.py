"""Runs the background jobs features declare (``Feature.jobs`` in ``bot/features.py``).

Every server process runs a :class:`JobRunner`. Jobs marked ``each_process`` (reloading
this process's copy of the flows or rules) run in every process. All others run
**once across every process and server**: the processes compete for one lease row
(``job_leases``, renewed every third of ``jobs.lease_seconds``); the holder polls the
job rows (``job_state``) and runs each job when it is due, claiming the row first, so a
run by hand (``tongguan jobs run``) or a holder that lost its lease mid-run never
overlaps another run. A holder that dies stops renewing; another process takes the
lease once it has run out, and a run the dead one had claimed is due again when its
claim runs out. SQLite has one process (``--workers`` needs PostgreSQL), which is the
runner.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from bot.services.jobs.schedule import Schedule, parse_schedule
from bot.services.jobs.store import JobStore

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.hub import Hub

log = logging.getLogger("tongguan.jobs")

POLL_SECONDS = 1.0  #: how often the lease holder looks for due jobs (at most)


class JobSpec(Protocol):
    """A job as a feature declares it (``bot.features.Job``)."""

    @property
    def name(self) -> str: ...

    @property
    def run(self) -> Callable[[Hub], Awaitable[object]]: ...

    @property
    def schedule(self) -> Callable[[Settings], str]: ...

    @property
    def each_process(self) -> bool: ...


def process_id() -> str:
    """This process, as lease rows name it: host, pid and a random part."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(3)}"


def schedule_of(job: JobSpec, settings: Settings) -> Schedule:
    return parse_schedule(job.schedule(settings), ZoneInfo(settings.ops.timezone))


def describe(result: object) -> str:
    """A run's result as ``jobs list`` shows it."""
    if isinstance(result, dict):
        return " ".join(f"{k}={v}" for k, v in result.items())
    return "" if result is None else str(result)


@dataclass
class LocalRun:
    """The last run of an ``each_process`` job in this process."""

    started: Any = None
    error: str | None = None
    result: str = ""


class JobRunner:
    """This process's share of the background jobs.

    Args:
        hub: the process's hub (jobs get it).
        jobs: every job of every feature.
        holder: this process's name in lease rows (default: :func:`process_id`).
        cluster: False leaves the shared jobs to other processes (``jobs.enabled``).
    """

    def __init__(self, hub: Hub, jobs: Sequence[JobSpec], *, holder: str | None = None,
                 cluster: bool = True) -> None:
        self.hub = hub
        self.jobs = {job.name: job for job in jobs}
        self.holder = holder or process_id()
        self.cluster = cluster
        self.lease_seconds = hub.settings.jobs.lease_seconds
        self.store = JobStore(hub.db, hub.clock)
        self.local: dict[str, LocalRun] = {}
        self.leader = False
        self.lease_attempts = 0  #: tries to take or renew the lease (tests watch it)
        self.polls = 0  #: looks for due jobs while holding the lease (tests watch it)
        self._running: dict[str, asyncio.Task[bool]] = {}

    def shared_jobs(self) -> dict[str, JobSpec]:
        """The jobs run once across all processes, with a schedule that is not off."""
        return {n: j for n, j in self.jobs.items() if not j.each_process
                and not schedule_of(j, self.hub.settings).off}

    async def run_forever(self) -> None:
        """Run this process's jobs until cancelled; gives the lease up on the way out."""
        tasks = [asyncio.create_task(self._each_process(job)) for job in self.jobs.values()
                 if job.each_process and not schedule_of(job, self.hub.settings).off]
        try:
            if self.cluster and self.shared_jobs():
                await self._hold_lease()
            else:
                await asyncio.gather(*tasks)
        finally:
            for task in [*tasks, *self._running.values()]:
                task.cancel()
            await asyncio.gather(*tasks, *self._running.values(), return_exceptions=True)
            if self.leader:
                with contextlib.suppress(Exception):
                    await asyncio.shield(self.store.release_lease(self.holder))

    async def _hold_lease(self) -> None:
        poller: asyncio.Task[None] | None = None
        try:
            while True:
                self.lease_attempts += 1
                try:
                    leader = await self.store.take_lease(self.holder, self.lease_seconds)
                except Exception:  # noqa: BLE001 - the database is away: not the runner
                    log.exception("jobs.lease.failed")
                    leader = False
                if leader and not self.leader:
                    log.info("jobs.lease.taken holder=%s", self.holder)
                    poller = asyncio.create_task(self._poll())
                elif self.leader and not leader:
                    log.warning("jobs.lease.lost holder=%s", self.holder)
                    if poller is not None:
                        poller.cancel()
                    for task in self._running.values():
                        task.cancel()
                self.leader = leader
                await asyncio.sleep(self.lease_seconds / 3)
        finally:
            if poller is not None:
                poller.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await poller

    async def _poll(self) -> None:
        """While this process holds the lease: start every due job."""
        shared = self.shared_jobs()
        settings, now = self.hub.settings, self.hub.clock.now()
        await self.store.ensure({n: schedule_of(j, settings).first_due(now)
                                 for n, j in shared.items()})
        tick = min([POLL_SECONDS, *(s.every for j in shared.values()
                                     if (s := schedule_of(j, settings)).every)])
        while True:
            self.polls += 1
            try:
                for name in await self.store.due(shared):
                    if name not in self._running:
                        task = asyncio.create_task(self.run_job(shared[name], due_only=True))
                        self._running[name] = task
                        task.add_done_callback(self._forget(name))
            except Exception:  # noqa: BLE001 - logged; the next poll tries again
                log.exception("jobs.poll.failed")
            await asyncio.sleep(tick)

    def _forget(self, name: str) -> Callable[[asyncio.Task[bool]], None]:
        def forget(_task: asyncio.Task[bool]) -> None:
            self._running.pop(name, None)

        return forget

    async def run_job(self, job: JobSpec, *, due_only: bool = False) -> bool:
        """Claim ``job``'s row, run it (renewing the claim), record how it went.

        Returns False when another process runs it now (or it is no longer due).
        """
        if not await self.store.claim(job.name, self.holder, self.lease_seconds,
                                      due_only=due_only):
            return False
        started = self.hub.clock.now()
        error, result = None, ""
        work: asyncio.Future[object] = asyncio.ensure_future(job.run(self.hub))
        try:
            while True:
                done, _ = await asyncio.wait({work}, timeout=self.lease_seconds / 3)
                if done:
                    break
                if not await self.store.renew(job.name, self.holder, self.lease_seconds):
                    work.cancel()
                    log.warning("jobs.claim.lost job=%s", job.name)
                    return False
            result = describe(work.result())
        except asyncio.CancelledError:
            work.cancel()
            raise
        except Exception as err:  # noqa: BLE001 - recorded and logged; the job runs again
            error = f"{type(err).__name__}: {err}"
            log.exception("jobs.run.failed job=%s", job.name)
        schedule = schedule_of(job, self.hub.settings)
        await self.store.finish(job.name, self.holder, error=error, result=result,
                                next_due=schedule.next_after(started)
                                if due_only and not schedule.off else None)
        log.info("jobs.run job=%s ok=%s result=%s", job.name, error is None, result)
        return True

    async def _each_process(self, job: JobSpec) -> None:
        schedule = schedule_of(job, self.hub.settings)
        every = schedule.every or POLL_SECONDS
        run = self.local.setdefault(job.name, LocalRun())
        while True:
            if not schedule.always:
                await asyncio.sleep(every)
            run.started = self.hub.clock.now()
            try:
                run.result, run.error = describe(await job.run(self.hub)), None
            except Exception as err:  # noqa: BLE001 - logged; the next pass tries again
                run.error = f"{type(err).__name__}: {err}"
                log.exception("jobs.run.failed job=%s", job.name)
                if schedule.always:  # a watcher that broke: start it again after a pause
                    await asyncio.sleep(every)
            else:
                if schedule.always:  # a watcher that ended (turned off): done
                    return
