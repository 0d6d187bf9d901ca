"""The SQL of the job runner: the runner lease and each job's row.

Every change is one conditional ``UPDATE`` (the same on PostgreSQL and SQLite), so two
processes racing for the lease or for a job's run see exactly one of them win.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.clock import Clock
from bot.db.database import Database, affected_rows
from bot.db.dialects import upsert_insert
from bot.db.models.jobs import JobLease, JobState

RUNNER = "runner"  #: the lease that elects the process running the cluster's jobs
ERROR_CHARS = 500


class JobStore:
    """Leases and job rows in the database of ``db``."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def take_lease(self, holder: str, seconds: float, name: str = RUNNER) -> bool:
        """Take or renew lease ``name`` for ``seconds``; False while another holds it."""
        now = self.clock.now()
        until = now + timedelta(seconds=seconds)
        async with self.db.sessions.begin() as session:
            await session.execute(upsert_insert(self.db, JobLease).values(
                name=name, holder=holder, until=now).on_conflict_do_nothing(
                index_elements=["name"]))
            done = await session.execute(
                sa.update(JobLease).where(JobLease.name == name, sa.or_(
                    JobLease.holder == holder, JobLease.until <= now))
                .values(holder=holder, until=until))
        return affected_rows(done) == 1

    async def release_lease(self, holder: str, name: str = RUNNER) -> None:
        """Give the lease up at once (a clean shutdown), if ``holder`` has it."""
        async with self.db.sessions.begin() as session:
            await session.execute(sa.update(JobLease).where(
                JobLease.name == name, JobLease.holder == holder).values(until=self.clock.now()))

    async def lease(self, name: str = RUNNER) -> JobLease | None:
        async with self.db.sessions() as session:
            return await session.get(JobLease, name)

    async def ensure(self, first_due: dict[str, datetime]) -> None:
        """Add a row for each job that has none, due at its first time."""
        if not first_due:
            return
        async with self.db.sessions.begin() as session:
            await session.execute(upsert_insert(self.db, JobState).values([
                {"name": name, "next_due": due, "runs": 0, "failures": 0}
                for name, due in sorted(first_due.items())]).on_conflict_do_nothing(
                index_elements=["name"]))

    async def due(self, names: Iterable[str]) -> list[str]:
        """Which of ``names`` are due and not being run by anyone."""
        now = self.clock.now()
        async with self.db.sessions() as session:
            return list(await session.scalars(sa.select(JobState.name).where(
                JobState.name.in_(list(names)), JobState.next_due <= now, sa.or_(
                    JobState.running_until.is_(None), JobState.running_until <= now))
                .order_by(JobState.next_due)))

    async def claim(self, name: str, holder: str, seconds: float, *, due_only: bool) -> bool:
        """Mark job ``name`` as run by ``holder`` for ``seconds``; False when another
        runs it (or, with ``due_only``, when it is not due any more)."""
        now = self.clock.now()
        where = [JobState.name == name, sa.or_(JobState.running_until.is_(None),
                                               JobState.running_until <= now)]
        if due_only:
            where.append(JobState.next_due <= now)
        async with self.db.sessions.begin() as session:
            done = await session.execute(sa.update(JobState).where(*where).values(
                running_by=holder, running_until=now + timedelta(seconds=seconds),
                last_started=now))
        return affected_rows(done) == 1

    async def renew(self, name: str, holder: str, seconds: float) -> bool:
        """Extend a running claim; False when it was lost (another took it over)."""
        until = self.clock.now() + timedelta(seconds=seconds)
        async with self.db.sessions.begin() as session:
            done = await session.execute(sa.update(JobState).where(
                JobState.name == name, JobState.running_by == holder)
                .values(running_until=until))
        return affected_rows(done) == 1

    async def finish(self, name: str, holder: str, *, error: str | None, result: str,
                     next_due: datetime | None) -> None:
        """Record a run's end; ``next_due`` None keeps the schedule (a run by hand)."""
        values: dict[str, object] = {
            "running_by": None, "running_until": None, "last_finished": self.clock.now(),
            "last_error": error[:ERROR_CHARS] if error else None,
            "last_result": result[:ERROR_CHARS], "runs": JobState.runs + 1,
            "failures": JobState.failures + (1 if error else 0)}
        if next_due is not None:
            values["next_due"] = next_due
        async with self.db.sessions.begin() as session:
            await session.execute(sa.update(JobState).where(
                JobState.name == name, JobState.running_by == holder).values(**values))

    async def states(self) -> dict[str, JobState]:
        async with self.db.sessions() as session:
            return {row.name: row for row in await session.scalars(sa.select(JobState))}
