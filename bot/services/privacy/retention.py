"""The retention job: each kind of data deleted or anonymised after its days.

``retention.<kind>_days`` (0 keeps a kind for ever). Due rows go in batches of
``retention.batch_size``, one short transaction each, so a large clean-up never holds a
table's locks for long; a run can stop anywhere and the next one carries on. Each run
writes what it removed — counts per kind, never a person — to ``retention_log`` and one
``retention.run`` entry to the staff audit log. ``dry_run`` counts what is due and
changes nothing.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import RETENTION_KINDS
from bot.db.models.privacy import RetentionLog, RetentionUnlock
from bot.hub import Hub
from bot.services.privacy.sweeps import SWEEPS, Sweep
from bot.services.staff.audit import audit_in

log = logging.getLogger("tongguan.privacy")


class RetentionError(ValueError):
    """A kind of data retention does not know."""


@dataclass
class KindResult:
    """What happened to one kind of data (counts only)."""

    kind: str
    days: int
    cutoff: datetime | None  #: None: the kind is kept for ever (0 days)
    deleted: int = 0
    anonymised: int = 0


@dataclass
class RetentionReport:
    run: str
    dry_run: bool
    results: list[KindResult] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {"run": self.run, "dry_run": self.dry_run, "kinds": {
            r.kind: {"days": r.days, "deleted": r.deleted, "anonymised": r.anonymised}
            for r in self.results}}


async def _ids(session: AsyncSession, sweep: Sweep, cutoff: datetime, now: datetime,
               limit: int, after: int) -> list[int]:
    """Due ids in id order after ``after`` (keyset: a batch never walks the index entries
    of rows earlier batches removed)."""
    t = sweep.table
    query = (sa.select(t.c.id).where(t.c.id > after, sweep.due(cutoff, now))
             .order_by(t.c.id).limit(limit))
    return list((await session.scalars(query)).all())


async def _batch(hub: Hub, sweep: Sweep, cutoff: datetime, now: datetime, size: int,
                 after: int) -> list[int]:
    """Remove one batch of due rows; returns their ids."""
    async with hub.db.write() as session:
        ids = await _ids(session, sweep, cutoff, now, size, after)
        if not ids:
            return ids
        t = sweep.table
        if sweep.unlock:
            session.add(RetentionUnlock(table_name=t.name))
            await session.flush()
        for before in sweep.before:
            await before(session, ids)
        if sweep.blank is not None:
            await session.execute(sa.update(t).where(t.c.id.in_(ids))
                                  .values(**sweep.blank(hub.sealer)))
        else:
            await session.execute(sa.delete(t).where(t.c.id.in_(ids)))
        if sweep.unlock:
            await session.execute(sa.delete(RetentionUnlock)
                                  .where(RetentionUnlock.table_name == t.name))
    return ids


async def _count(hub: Hub, sweep: Sweep, cutoff: datetime, now: datetime) -> int:
    async with hub.db.sessions() as session:
        query = sa.select(sa.func.count()).select_from(sweep.table).where(sweep.due(cutoff, now))
        return int(await session.scalar(query) or 0)


def check_kinds(kinds: list[str] | None) -> tuple[str, ...]:
    """The kinds to run (all when None).

    Raises:
        RetentionError: an unknown kind.
    """
    if not kinds:
        return RETENTION_KINDS
    unknown = [k for k in kinds if k not in RETENTION_KINDS]
    if unknown:
        raise RetentionError(f"unknown kind {unknown[0]!r}: one of {', '.join(RETENTION_KINDS)}")
    return tuple(kinds)


async def run_retention(hub: Hub, *, dry_run: bool = False, trigger: str = "job",
                        kinds: list[str] | None = None) -> RetentionReport:
    """Delete or anonymise what is older than its kind's days.

    Args:
        dry_run: count what is due, change nothing, log nothing.
        trigger: who ran it, for the log (``job``, ``cli:<user>``).
        kinds: only these kinds (default: all).

    Raises:
        RetentionError: an unknown kind.
    """
    wanted = check_kinds(kinds)
    settings = hub.settings.retention
    now = hub.clock.now()
    report = RetentionReport(run=secrets.token_hex(8), dry_run=dry_run)
    by_kind: dict[str, KindResult] = {}
    for kind in wanted:
        days = settings.days(kind)
        by_kind[kind] = KindResult(kind, days, now - timedelta(days=days) if days else None)
        report.results.append(by_kind[kind])
    for sweep in SWEEPS:
        result = by_kind.get(sweep.kind)
        if result is None or result.cutoff is None:
            continue
        if dry_run:
            n = await _count(hub, sweep, result.cutoff, now)
        else:
            n, after = 0, 0
            while True:
                ids = await _batch(hub, sweep, result.cutoff, now, settings.batch_size, after)
                n += len(ids)
                if len(ids) < settings.batch_size:
                    break
                after = ids[-1]
        if sweep.blank is not None:
            result.anonymised += n
        else:
            result.deleted += n
    if not dry_run:
        await _log(hub, report, trigger, now)
    log.info("privacy.retention.run run=%s dry_run=%s %s", report.run, dry_run,
             " ".join(f"{r.kind}={r.deleted}/{r.anonymised}" for r in report.results))
    return report


async def _log(hub: Hub, report: RetentionReport, trigger: str, now: datetime) -> None:
    async with hub.db.write() as session:
        for r in report.results:
            session.add(RetentionLog(at=now, run=report.run, trigger=trigger[:80], kind=r.kind,
                                     deleted=r.deleted, anonymised=r.anonymised,
                                     cutoff=r.cutoff))
        audit_in(session, now, actor=trigger, action="retention.run", object=report.run,
                 detail=report.to_json()["kinds"])  # type: ignore[arg-type]


async def read_log(hub: Hub, *, limit: int = 50) -> list[RetentionLog]:
    """The newest retention log rows first."""
    async with hub.db.sessions() as session:
        rows = await session.scalars(sa.select(RetentionLog)
                                     .order_by(RetentionLog.id.desc()).limit(limit))
        return list(rows)
