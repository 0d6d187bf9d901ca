"""Today's snapshot kept up to date by what changed, for the live view.

A live process keeps today's counts by area (folded + pending, in a
:class:`~bot.services.ops.index.DayIndex`), the pending events it saw, and the folded
counts of the 13 days before. On every change it reads, in one snapshot, the pending
events (those of the last ``fold.SETTLE_SECONDS`` or so: the server's fold leaves the
youngest), how many events were ever folded (``ops_state`` row ``FOLDED``), today's
stock, the waiting handoffs and the resumption counters. A fold moves events from
pending to counted without changing today's totals, so when every event folded since
the last look was one it saw pending (their numbers match), it only adds the new
pending events; otherwise (a process that looked too seldom, a new day) it reads
today's folded counts again. The days before today are read again when the day turns
or a fold moved an event dated before its day (row ``PAST``). A change thus costs the
events that arrived, not a regrouping of the whole day.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.ops import OpsCount, OpsEvent, OpsState
from bot.hub import Hub
from bot.services.ops.clock import city_tz, trend_days
from bot.services.ops.fold import FOLDED, PAST, bucket
from bot.services.ops.geo import district_code
from bot.services.ops.index import Area, DayIndex
from bot.services.ops.snapshot import (
    Snapshot,
    Trend,
    _handoffs,
    _read_options,
    _resumption,
    _stock,
)

#: a pending event's id → its day, area and n
Seen = dict[int, tuple[date, Area, int]]
READ_BATCH = 500  #: new events read a statement


@dataclass
class Live:
    """A live process's state: today's counts (folded + pending) in ``index``, the
    pending events they include, and the folded counts of the days before."""

    day: date | None = None
    index: DayIndex | None = None
    seen: Seen | None = None  #: the pending events as last read
    folded: int = 0  #: events ever folded (``ops_state`` row FOLDED) as last read
    past: Counter[Trend] | None = None  #: the 13 days before today, folded
    past_version: int = 0  #: ``ops_state`` row PAST that ``past`` is as of


async def refresh(hub: Hub, live: Live, day: date, now: datetime) -> Snapshot:
    """Bring ``live`` to the database's state and return the snapshot it makes."""
    days = trend_days(day)
    snap = Snapshot(day, now)
    async with hub.db.sessions() as session:
        await session.connection(execution_options=_read_options(hub))
        versions = dict((await session.execute(
            sa.select(OpsState.id, OpsState.version)
            .where(OpsState.id.in_((PAST, FOLDED))))).all())
        folded, past_version = int(versions.get(FOLDED, 0)), int(versions.get(PAST, 0))
        old = live.seen or {}
        seen, matched = await _pending(session, hub, old, folded - live.folded)
        if (live.index is None or live.day != day or live.seen is None
                or not matched):  # events folded unseen: read them all
            today = await _today(session, day)
            for d, key, n in seen.values():
                if d == day:
                    today[key] = today.get(key, 0) + n
            if live.index is None or live.day != day:
                live.index = DayIndex()
            live.index.move_to(today)
        else:  # folded events were seen (and counted) already: add the new ones
            for i, (d, key, n) in seen.items():
                if d == day and i not in old:
                    live.index.add(key, n)
        if live.past is None or live.day != day or live.past_version != past_version:
            live.past = await _past(session, days)
        await _stock(session, snap)
        await _handoffs(session, snap)
        await _resumption(session, snap)
    live.day, live.seen, live.folded, live.past_version = day, seen, folded, past_version
    index = live.index
    snap.area, snap.grouped = index.area, index
    snap.trend = Counter(live.past)
    for d, code_key, n in seen.values():
        if days[0] <= d < day:
            snap.trend[(d, code_key[0], code_key[3])] += n
    for code, counts in index.totals.items():
        for metric, n in counts.items():
            if n:
                snap.trend[(day, code, metric)] += n
    return snap


async def _today(session: AsyncSession, day: date) -> dict[Area, int]:
    c = OpsCount
    area: dict[Area, int] = {}
    for district, street, place, metric, n in await session.execute(
            sa.select(c.district, c.street, c.place, c.metric, c.n).where(c.day == day)):
        key = (district_code(district), street, place, metric)
        area[key] = area.get(key, 0) + int(n)
    return area


async def _past(session: AsyncSession, days: list[date]) -> Counter[Trend]:
    c = OpsCount
    past: Counter[Trend] = Counter()
    for day, district, metric, n in await session.execute(
            sa.select(c.day, c.district, c.metric, sa.func.sum(c.n))
            .where(c.day >= days[0], c.day < days[-1])
            .group_by(c.day, c.district, c.metric)):
        past[(day, district_code(district), metric)] += int(n)
    return past


async def _pending(session: AsyncSession, hub: Hub, known: Seen,
                   folded: int) -> tuple[Seen, bool]:
    """Every pending event, and whether the events gone since ``known`` are the
    ``folded`` ones folded since. Only the ids are read, then the rows of the new ones:
    at saturation a few seconds of events are pending, and parsing them all again at
    every look cost more than the rest of the look. When the events gone do not match
    (events folded unseen, or SQLite giving a folded row's id to a new event) every row
    is read again."""
    tz = city_tz(hub.settings)
    e = OpsEvent
    ids = set((await session.scalars(sa.select(e.id))).all())
    gone = sum(1 for i in known if i not in ids)
    matched = gone == folded
    seen: Seen = {i: v for i, v in known.items() if i in ids} if matched else {}
    new = sorted(ids - seen.keys())
    for start in range(0, len(new), READ_BATCH):
        for i, at, district, street, place, metric, n in await session.execute(
                sa.select(e.id, e.at, e.district, e.street, e.place, e.metric, e.n)
                .where(e.id.in_(new[start:start + READ_BATCH]))):
            seen[i] = (bucket(at, tz), (district_code(district), street, place, metric), n)
    return seen, matched
