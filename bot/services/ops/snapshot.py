"""Everything the operations view shows for one city day, read in one snapshot.

Folded counts plus the events not yet folded (bucketed here by city day), today's stock
by store, the handoffs waiting and the resumption counters: a few small grouped reads,
however many declarations or reservations there are.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.dialects import choose
from bot.db.models import Handoff
from bot.db.models.firms import FirmRegisterCount, ResumptionCount
from bot.db.models.ops import OpsCount, OpsEvent, OpsState
from bot.db.models.reservations import SupplyProduct, SupplyRelease, SupplyStore
from bot.hub import Hub
from bot.services.ops.clock import city_tz, trend_days
from bot.services.ops.fold import bucket
from bot.services.ops.geo import district_code
from bot.services.ops.index import DayIndex

#: a handoff whose resident waits for a staff answer
WAITING = sa.and_(Handoff.status.in_(("open", "claimed")), Handoff.waiting_since.is_not(None))
Area = tuple[str, str, str, str]  #: district, street, place, metric
Trend = tuple[date, str, str]  #: day, district, metric


@dataclass(frozen=True)
class StoreStock:
    store: str
    name: str
    district: str
    product: str
    released: int
    remaining: int


@dataclass
class Snapshot:
    """One day's numbers (and the 14 days up to it) for the whole city."""

    day: date
    at: datetime
    area: Counter[Area] = field(default_factory=Counter)  #: the day, finest grain
    trend: Counter[Trend] = field(default_factory=Counter)  #: by day and district
    stock: list[StoreStock] = field(default_factory=list)
    #: district → handoffs waiting for staff, and since when the oldest waits
    handoffs: dict[str, tuple[int, datetime | None]] = field(default_factory=dict)
    #: district → firms filed, approved, registered
    resumption: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    #: ``area`` grouped by district, street and building (built on first use, or kept
    #: up to date by the live view, bot/services/ops/live.py)
    grouped: DayIndex | None = None

    @property
    def index(self) -> DayIndex:
        if self.grouped is None:
            self.grouped = DayIndex(self.area)
        return self.grouped


def _read_options(hub: Hub) -> dict[str, Any]:
    # PostgreSQL: one snapshot for every read below, so a fold committing in between
    # neither hides nor doubles events. SQLite's transactions already take the lock.
    return choose(hub.db, postgresql={"isolation_level": "REPEATABLE READ"}, sqlite={})


async def version(hub: Hub, day: date) -> tuple[Any, ...]:
    """Changes whenever a number of ``day`` may have: the fold version, the pending
    events, today's releases and the waiting handoffs."""
    query = sa.select(
        sa.select(OpsState.version).where(OpsState.id == 1).scalar_subquery(),
        sa.select(sa.func.count()).select_from(OpsEvent).scalar_subquery(),
        sa.select(sa.func.max(OpsEvent.id)).scalar_subquery(),
        sa.select(sa.func.max(SupplyRelease.updated_at)).where(
            SupplyRelease.day == day).scalar_subquery(),
        sa.select(sa.func.count()).select_from(Handoff).where(WAITING).scalar_subquery(),
        sa.select(sa.func.min(Handoff.waiting_since)).where(WAITING).scalar_subquery())
    async with hub.db.sessions() as session:
        return tuple((await session.execute(query)).one())


async def read(hub: Hub, day: date, now: datetime) -> Snapshot:
    """The city's numbers for ``day`` (``now`` dates the handoffs' waits)."""
    days = trend_days(day)
    snap = Snapshot(day, now)
    async with hub.db.sessions() as session:
        await session.connection(execution_options=_read_options(hub))
        await _counts(session, snap, days)
        await _pending(session, snap, hub, days)
        await _stock(session, snap)
        await _handoffs(session, snap)
        await _resumption(session, snap)
    return snap


async def _counts(session: AsyncSession, snap: Snapshot, days: list[date]) -> None:
    c = OpsCount
    for district, street, place, metric, n in await session.execute(
            sa.select(c.district, c.street, c.place, c.metric, sa.func.sum(c.n))
            .where(c.day == snap.day).group_by(c.district, c.street, c.place, c.metric)):
        snap.area[(district_code(district), street, place, metric)] += int(n)
    for day, district, metric, n in await session.execute(
            sa.select(c.day, c.district, c.metric, sa.func.sum(c.n))
            .where(c.day >= days[0], c.day <= days[-1])
            .group_by(c.day, c.district, c.metric)):
        snap.trend[(day, district_code(district), metric)] += int(n)


async def _pending(session: AsyncSession, snap: Snapshot, hub: Hub, days: list[date]) -> None:
    tz = city_tz(hub.settings)
    e = OpsEvent
    for at, district, street, place, metric, n in await session.execute(
            sa.select(e.at, e.district, e.street, e.place, e.metric, e.n)):
        day, code = bucket(at, tz), district_code(district)
        if day == snap.day:
            snap.area[(code, street, place, metric)] += n
        if days[0] <= day <= days[-1]:
            snap.trend[(day, code, metric)] += n


async def _stock(session: AsyncSession, snap: Snapshot) -> None:
    rows = await session.execute(
        sa.select(SupplyStore.code, SupplyStore.name, SupplyStore.district, SupplyProduct.code,
                  SupplyRelease.released, SupplyRelease.remaining)
        .join(SupplyStore, SupplyStore.id == SupplyRelease.store_id)
        .join(SupplyProduct, SupplyProduct.id == SupplyRelease.product_id)
        .where(SupplyRelease.day == snap.day, SupplyStore.active.is_(True))
        .order_by(SupplyStore.code, SupplyProduct.code))
    snap.stock = [StoreStock(code, name, district_code(district), product, released, left)
                  for code, name, district, product, released, left in rows]


async def _handoffs(session: AsyncSession, snap: Snapshot) -> None:
    for district, waiting, oldest in await session.execute(
            sa.select(Handoff.district, sa.func.count(), sa.func.min(Handoff.waiting_since))
            .where(WAITING).group_by(Handoff.district)):
        code = district_code(district or "")
        count, since = snap.handoffs.get(code, (0, None))
        snap.handoffs[code] = (count + int(waiting),
                               oldest if since is None or (oldest and oldest < since) else since)


async def _resumption(session: AsyncSession, snap: Snapshot) -> None:
    found: dict[str, list[int]] = {}
    for district, filed, approved in await session.execute(
            sa.select(ResumptionCount.district, sa.func.sum(ResumptionCount.filed),
                      sa.func.sum(ResumptionCount.approved))
            .group_by(ResumptionCount.district)):
        sums = found.setdefault(district_code(district), [0, 0, 0])
        sums[0] += int(filed)
        sums[1] += int(approved)
    for district, firms in await session.execute(
            sa.select(FirmRegisterCount.district, sa.func.sum(FirmRegisterCount.firms))
            .group_by(FirmRegisterCount.district)):
        found.setdefault(district_code(district), [0, 0, 0])[2] += int(firms)
    snap.resumption = {k: (v[0], v[1], v[2]) for k, v in found.items()}
