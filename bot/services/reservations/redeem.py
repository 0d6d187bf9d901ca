"""Handing out: single-use redeem at the counter, and the store's list for today."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.db.database import affected_rows
from bot.db.models.reservations import SupplyProduct, SupplyRelease, SupplyReservation
from bot.services.ops.counters import PICKED_UP, count_reservations
from bot.services.reservations import pickup_codes
from bot.services.reservations.context import SupplyContext, local
from bot.services.reservations.errors import ReservationError
from bot.services.reservations.holds import count_from_pickup
from bot.services.reservations.staff import StaffMember, Ticket, lookup
from codes import mask_name

RES, REL = SupplyReservation, SupplyRelease


async def redeem(ctx: SupplyContext, staff: StaffMember, typed: str) -> Ticket:
    """Redeem once: a conditional update on status and window; a second try says when.

    Raises:
        NotFound: unknown code (counted against guessing).
        ReservationError: ``already_redeemed`` (with when), ``expired`` or ``cancelled``.
    """
    ticket = await lookup(ctx, staff, typed)
    code = pickup_codes.normalize(typed)
    now = ctx.clock.now()

    async def work(session: AsyncSession) -> int:
        digest = pickup_codes.code_hash(code or "")
        done = await session.execute(
            sa.update(RES).where(RES.code_hash == digest, RES.status == "active",
                                 RES.window_end > now)
            .values(status="redeemed", closed_at=now, redeemed_by=staff.id)
            .execution_options(synchronize_session=False))
        if affected_rows(done) != 1:
            return 0
        await count_reservations(session, now, PICKED_UP, RES.code_hash == digest)
        # "N packs per D days" counts from the last pickup too
        await count_from_pickup(session, digest, ctx.rules.city_day(now))
        return 1

    if await ctx.db.retrying(work) == 1:
        metrics.RESERVATIONS.labels("picked_up").inc()
        return await lookup(ctx, staff, typed)
    ticket = await lookup(ctx, staff, typed)
    if ticket.status == "redeemed" and ticket.closed_at is not None:
        at = local(ctx, ticket.closed_at)
        raise ReservationError("already_redeemed", f"此码已于 {at:%m月%d日 %H:%M} 领取过。",
                               f"This code was already used on {at:%b %d at %H:%M}.",
                               used_at=at.isoformat())
    if ticket.status == "cancelled":
        raise ReservationError("cancelled", "此预约已被取消。", "This reservation was cancelled.")
    end = local(ctx, ticket.window_end)
    raise ReservationError("expired", f"此预约已于 {end:%m月%d日 %H:%M} 过期。",
                           f"This reservation expired on {end:%b %d at %H:%M}.",
                           expired_at=end.isoformat())


async def today(ctx: SupplyContext, staff: StaffMember) -> dict[str, object]:
    """Today's reservations at the staff member's store, with counts by status."""
    day = ctx.rules.city_day(ctx.clock.now())
    query = (sa.select(RES.public_id, RES.quantity, RES.status, RES.window_end, RES.closed_at,
                       RES.name_sealed, SupplyProduct.code)
             .join(REL, REL.id == RES.release_id)
             .join(SupplyProduct, SupplyProduct.id == REL.product_id)
             .where(REL.store_id == staff.store_id, REL.day == day)
             .order_by(RES.created_at))
    async with ctx.db.sessions() as session:
        rows = (await session.execute(query)).all()
        stock = (await session.execute(
            sa.select(SupplyProduct.code, REL.released, REL.remaining)
            .join(REL, REL.product_id == SupplyProduct.id)
            .where(REL.store_id == staff.store_id, REL.day == day))).all()
    now = ctx.clock.now()

    def status(s: str, end: datetime) -> str:
        return "expired" if s == "active" and end <= now else s

    items = [{"reservation_id": r.public_id, "product": r.code, "quantity": r.quantity,
              "status": status(r.status, r.window_end),
              "name": mask_name(ctx.sealer.open(r.name_sealed)),
              "closed_at": local(ctx, r.closed_at).isoformat() if r.closed_at else None}
             for r in rows]
    counts = Counter(i["status"] for i in items)
    return {"store": staff.store_code, "store_name": staff.store_name, "day": day.isoformat(),
            "counts": dict(counts), "items": items,
            "stock": [{"product": p, "released": rel, "remaining": rem}
                      for p, rel, rem in stock]}
