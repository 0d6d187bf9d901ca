"""Folding appended events into the counts by city day (any process may; each event is
folded once: the ``DELETE … RETURNING`` that reads it also removes it)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import date, datetime, timedelta, tzinfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.dialects import upsert_insert
from bot.db.models.ops import OpsCount, OpsEvent, OpsState
from bot.hub import Hub
from bot.services.ops.clock import city_tz

log = logging.getLogger("tongguan.ops")

#: events folded per transaction. A transaction holds the event loop while it runs (on
#: SQLite its statements run there, bot/db/sqlite_loop.py; on both the rows are summed
#: there): at saturation a second's 1,600 events held it 26–28 ms in one piece, added to
#: every request in flight (issue 18). 250 a time, with the loop given back between
#: them, is 4–6 ms of CPU each.
BATCH = 250
#: ``ops_state`` row whose version goes up with every fold of an event dated before the
#: day the fold ran (the live view then reads the days before today again)
PAST = 2
#: ``ops_state`` row counting every event ever folded: a live reader that saw every
#: folded event pending (their number matches) needs not read the folded counts again
FOLDED = 3
#: the server's fold leaves events this young pending (s), so a live view that looks
#: more often sees each one pending and adds it, instead of reading today's counts again
SETTLE_SECONDS = 2.0
Key = tuple[date, str, str, str, str]


def bucket(at: datetime, tz: tzinfo) -> date:
    return at.astimezone(tz).date()


async def fold(hub: Hub, settle: float = 0.0) -> int:
    """Move pending events (those dated at least ``settle`` seconds ago) into
    ``ops_counts`` (a batch per transaction); returns how many were moved."""
    tz = city_tz(hub.settings)
    now = hub.clock.now()
    today = bucket(now, tz)
    total = 0

    async def work(session: AsyncSession) -> int:
        batch = (sa.select(OpsEvent.id).where(OpsEvent.at <= now - timedelta(seconds=settle))
                 .order_by(OpsEvent.id).limit(BATCH).scalar_subquery())
        rows = (await session.execute(sa.delete(OpsEvent).where(OpsEvent.id.in_(batch))
                                      .returning(OpsEvent.at, OpsEvent.district,
                                                 OpsEvent.street, OpsEvent.place,
                                                 OpsEvent.metric, OpsEvent.n))).all()
        if not rows:
            return 0
        sums: Counter[Key] = Counter()
        for at, district, street, place, metric, n in rows:
            sums[(bucket(at, tz), district, street, place, metric)] += n
        stmt = upsert_insert(hub.db, OpsCount).values([
            {"day": k[0], "district": k[1], "street": k[2], "place": k[3], "metric": k[4],
             "n": n} for k, n in sorted(sums.items())])  # one order: no deadlocks
        await session.execute(stmt.on_conflict_do_update(
            index_elements=["day", "district", "street", "place", "metric"],
            set_={"n": OpsCount.n + stmt.excluded.n}))
        await session.execute(sa.update(OpsState).where(OpsState.id == 1)
                              .values(version=OpsState.version + 1))
        await _bump(session, FOLDED, len(rows))
        if any(k[0] != today for k in sums):  # a late event: the days before moved
            await _bump(session, PAST, 1)
        return len(rows)

    async def _bump(session: AsyncSession, row: int, n: int) -> None:
        stmt = upsert_insert(hub.db, OpsState).values(id=row, version=n)
        await session.execute(stmt.on_conflict_do_update(
            index_elements=["id"], set_={"version": OpsState.version + n}))

    while (moved := await hub.db.retrying(work)) > 0:
        total += moved
        if moved < BATCH:
            break
        await asyncio.sleep(0)  # the requests waiting meanwhile go first
    return total
