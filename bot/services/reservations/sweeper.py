"""Background work: expire unclaimed holds, send reminders, run due lottery draws.

Each pass is safe with several server processes: rows are claimed with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite has one writer at a time), and every
change is a conditional update on the row's status, so a hold expires exactly once.
Expired units go back into stock through the next day's carry-over (see supply.py).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.db.database import affected_rows
from bot.db.models.reservations import SupplyProduct, SupplyRelease, SupplyReservation, SupplyStore
from bot.messages import Reply
from bot.services.ops.counters import EXPIRED, count_reservations
from bot.services.reservations import notices, pickup_codes
from bot.services.reservations.context import SupplyContext
from bot.services.reservations.lottery import run_draw

log = logging.getLogger("tongguan.reservations")
RES = SupplyReservation
BATCH = 200


def _claim(ctx: SupplyContext, query: sa.Select) -> sa.Select:
    return ctx.repo.for_update(query.limit(BATCH), skip_locked=True, of=RES)


async def expire_due(ctx: SupplyContext) -> int:
    """Mark holds whose window has ended as expired; returns how many this call expired."""
    now = ctx.clock.now()

    async def work(session: AsyncSession) -> int:
        ids = list(await session.scalars(_claim(ctx, sa.select(RES.id).where(
            RES.status == "active", RES.window_end <= now).order_by(RES.window_end))))
        if not ids:
            return 0
        done = await session.execute(sa.update(RES).where(RES.id.in_(ids),
                                                          RES.status == "active")
                                     .values(status="expired", closed_at=now)
                                     .execution_options(synchronize_session=False))
        await count_reservations(session, now, EXPIRED, RES.id.in_(ids),
                                 RES.status == "expired", RES.closed_at == now)
        return affected_rows(done)

    total = 0
    while (n := await ctx.db.retrying(work)) > 0:
        total += n
    if total:
        metrics.RESERVATIONS.labels("expired").inc(total)
        log.info("reservations.expired count=%s", total)
    return total


async def send_reminders(ctx: SupplyContext) -> int:
    """Queue one reminder per active hold whose window closes within the reminder lead."""
    now = ctx.clock.now()
    soon = now + ctx.rules.reminder
    query = (sa.select(RES, SupplyStore.name, SupplyStore.address, SupplyProduct.code)
             .join(SupplyRelease, SupplyRelease.id == RES.release_id)
             .join(SupplyStore, SupplyStore.id == SupplyRelease.store_id)
             .join(SupplyProduct, SupplyProduct.id == SupplyRelease.product_id)
             .where(RES.status == "active", RES.reminded.is_(False), RES.window_end > now,
                    RES.window_end <= soon).order_by(RES.window_end))

    async def work(session: AsyncSession) -> int:
        rows = (await session.execute(_claim(ctx, query))).all()
        langs = await notices.languages(session, ((r.channel, r.user_id) for r, *_ in rows))
        for res, name, address, product in rows:
            rule = ctx.rules.products.get(product)
            what = rule.name if rule else {"zh": product, "en": product}
            code = pickup_codes.display(ctx.sealer.open(res.code_sealed))
            text = notices.reminder(ctx, notices.lang_of(langs, res.channel, res.user_id),
                                    what, name, address, res.window_end, code)
            await ctx.outbox.enqueue(channel=res.channel, user_id=res.user_id, session=session,
                                     replies=[Reply.say(text)],
                                     dedupe_key=f"supply-remind:{res.public_id}")
            res.reminded = True
        return len(rows)

    return await ctx.db.retrying(work)


async def run_due_draws(ctx: SupplyContext) -> int:
    """Draw every lottery release whose registration has closed."""
    now = ctx.clock.now()
    lottery = [c for c, r in ctx.rules.products.items() if r.mode == "lottery"]
    if not lottery:
        return 0
    ids = {c: i for c, i in (await ctx.product_ids()).items() if c in lottery}
    async with ctx.db.sessions() as session:
        rows = (await session.execute(sa.select(SupplyRelease.id, SupplyRelease.day).where(
            SupplyRelease.drawn.is_(False), SupplyRelease.product_id.in_(ids.values()),
            SupplyRelease.day <= ctx.rules.city_day(now)))).all()
    drawn = 0
    for rid, day in rows:
        if ctx.rules.at(day, ctx.rules.closes_at) <= now and await run_draw(ctx, rid) is not None:
            drawn += 1
    return drawn


async def sweep_once(ctx: SupplyContext) -> dict[str, int]:
    """One pass of every background job (tests call this directly)."""
    return {"draws": await run_due_draws(ctx), "expired": await expire_due(ctx),
            "reminders": await send_reminders(ctx)}
