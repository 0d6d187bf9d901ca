"""``tongguan jobs list`` and ``tongguan jobs run NAME``: the background jobs of every
feature (``Feature.jobs`` in ``bot/features.py``), their schedules and last runs."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.cli.common import settings_from
from bot.errors import TongguanError

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.features import Job


def _all_jobs() -> dict[str, Job]:
    from bot.features import FEATURES

    return {job.name: job for feature in FEATURES for job in feature.jobs}


def _at(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def job_lines(settings: Settings, jobs: Sequence[Job]) -> list[str]:
    """One line per job (name, who runs it, schedule, next due, last run, result, error),
    after a line naming the lease holder."""
    from bot.hub import open_base_hub
    from bot.services.jobs import JobStore

    async def read() -> list[str]:
        async with open_base_hub(settings) as hub:
            store = JobStore(hub.db, hub.clock)
            states, lease = await store.states(), await store.lease()
            now = hub.clock.now()
        holder = (f"runner: {lease.holder} (lease until {_at(lease.until)})"
                  if lease and lease.until > now else "runner: none (no server holds the lease)")
        lines = [holder, "\t".join(("job", "runs in", "schedule", "next due", "last run",
                                    "runs", "failures", "last result", "last error"))]
        for job in jobs:
            state = states.get(job.name)
            where = "each process" if job.each_process else "once"
            if state is None:
                cells = ["-", "-", "0", "0", "-", "-"]
            else:
                last = _at(state.last_started)
                if state.running_until is not None and state.running_until > now:
                    last += f" (running on {state.running_by})"
                cells = [_at(state.next_due), last, str(state.runs), str(state.failures),
                         state.last_result or "-", state.last_error or "-"]
            lines.append("\t".join([job.name, where, job.schedule(settings), *cells]))
        return lines

    return asyncio.run(read())


def _list(args: argparse.Namespace) -> int:
    for line in job_lines(settings_from(args), list(_all_jobs().values())):
        print(line)
    return 0


async def run_now(settings: Settings, job: Job) -> tuple[bool, str]:
    """Run ``job`` once now in this process, with the parts a server has (its web
    modules' start-up: channels' deliverers…); returns (ran, what it did or why not)."""
    from aiohttp import web

    from bot.services.jobs import JobRunner, JobStore, schedule_of
    from bot.web.app import init_app
    from bot.web.keys import HUB_KEY

    app = init_app(settings, background=False)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        hub = app[HUB_KEY]
        store = JobStore(hub.db, hub.clock)
        await store.ensure({job.name: schedule_of(job, settings).first_due(hub.clock.now())})
        jobs = JobRunner(hub, [job])
        if not await jobs.run_job(job):
            state = (await store.states())[job.name]
            until = _at(state.running_until)
            return False, f"running now on {state.running_by} (claim until {until})"
        state = (await store.states())[job.name]
        if state.last_error:
            return False, f"failed: {state.last_error}"
        return True, state.last_result or "done"
    finally:
        await runner.cleanup()


def _run(args: argparse.Namespace) -> int:
    jobs = _all_jobs()
    job = jobs.get(args.name)
    if job is None:
        raise TongguanError(f"jobs run: no job {args.name!r} (jobs: {', '.join(jobs)})")
    if job.each_process:
        raise TongguanError(f"jobs run: {job.name} runs in every server process on its own "
                            "copy (a reload); there is nothing to run here")
    ran, text = asyncio.run(run_now(settings_from(args), job))
    print(f"{job.name}: {text}")
    return 0 if ran else 1


def register(sub: argparse._SubParsersAction) -> None:
    jobs = sub.add_parser("jobs", help="background jobs: list, run one now").add_subparsers(
        dest="jobs_cmd", metavar="ACTION", required=True)
    p = jobs.add_parser("list", help="each job, its schedule, next due, last run and error")
    p.set_defaults(func=_list)
    p = jobs.add_parser("run", help="run one job now, in this process (once across servers)")
    p.add_argument("name")
    p.set_defaults(func=_run)
