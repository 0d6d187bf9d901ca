"""Today's snapshot kept up to date by what changed, for the live view.

A live process keeps the folded counts it read (:class:`Folded`: today's by area, the
13 days before by district) and, on every change, reads in one snapshot only the fold
version, the pending events (a few hundred: the fold takes them every
``2 × ops.poll_seconds``), today's stock, the waiting handoffs and the resumption
counters. Today's folded counts are read again only when a fold moved them (the
version), the days before today once a minute, when a pending event of such a day was
seen (it may have been folded since) or when the day turns. The area counts then move
by their difference in a :class:`~bot.services.ops.index.DayIndex`, so a change costs
the events that arrived, not a regrouping of the whole day.
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
from bot.services.ops.fold import bucket
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

PAST_SECONDS = 60.0  #: the days before today are read again at most this often


@dataclass
class Folded:
    """Folded counts as of fold ``version``."""

    day: date
    version: int
    area: dict[Area, int]  #: today's, by area
    past: Counter[Trend]  #: the 13 days before today, by day and district
    past_at: datetime  #: when ``past`` was read
    past_pending: bool = False  #: a pending event of a day before today was seen


@dataclass
class Live:
    """A live process's state: the folded counts, the pending events added to them, and
    today's index (``index.area`` = folded + pending)."""

    folded: Folded | None = None
    pending: dict[Area, int] | None = None  #: today's pending events, by area
    index: DayIndex | None = None


async def refresh(hub: Hub, live: Live, day: date, now: datetime) -> Snapshot:
    """Bring ``live`` to the database's state and return the snapshot it makes."""
    days = trend_days(day)
    snap = Snapshot(day, now)
    old = live.folded
    async with hub.db.sessions() as session:
        await session.connection(execution_options=_read_options(hub))
        version = int(await session.scalar(
            sa.select(OpsState.version).where(OpsState.id == 1)) or 0)
        folded = old
        if old is None or old.day != day or old.version != version:
            stale = (old is None or old.day != day or old.past_pending
                     or (now - old.past_at).total_seconds() >= PAST_SECONDS)
            folded = Folded(day, version, await _today(session, day),
                            await _past(session, days) if stale else old.past,
                            now if stale else old.past_at)
        assert folded is not None
        pending, pending_trend = await _pending(session, hub, days)
        folded.past_pending = any(d != day for d, _, _ in pending_trend)
        await _stock(session, snap)
        await _handoffs(session, snap)
        await _resumption(session, snap)
    index = live.index
    # the folded counts moved: compare every area; else only the pending ones
    keys = (None if index is None or folded is not old
            else set(pending) | set(live.pending or ()))
    if index is None or (old is not None and old.day != day):
        index = DayIndex()
    wanted = {k: folded.area.get(k, 0) + pending.get(k, 0)
              for k in (set(folded.area) | set(pending) if keys is None else keys)}
    index.move_to(wanted, keys)
    live.folded, live.pending, live.index = folded, pending, index
    snap.area, snap.grouped = index.area, index
    snap.trend = Counter(folded.past)
    snap.trend.update({(t, d, metric): n for (t, d, metric), n in pending_trend.items()
                       if t != day})
    for d, counts in index.totals.items():
        for metric, n in counts.items():
            if n:
                snap.trend[(day, d, metric)] += n
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


async def _pending(session: AsyncSession, hub: Hub, days: list[date]
                   ) -> tuple[dict[Area, int], Counter[Trend]]:
    """Today's pending events by area, and the other days' of the trend by district."""
    tz = city_tz(hub.settings)
    today, first = days[-1], days[0]
    area: dict[Area, int] = {}
    trend: Counter[Trend] = Counter()
    e = OpsEvent
    for at, district, street, place, metric, n in await session.execute(
            sa.select(e.at, e.district, e.street, e.place, e.metric, e.n)):
        day, code = bucket(at, tz), district_code(district)
        if day == today:
            key = (code, street, place, metric)
            area[key] = area.get(key, 0) + n
        elif first <= day < today:
            trend[(day, code, metric)] += n
    return area, trend
