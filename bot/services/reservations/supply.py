"""Daily releases from producers' capacity and carried-over stock.

The formula (docs/reservations.md): for product *p* and city day *D*,

    pool = capacity(D, p) + on_hand(p) + carry(D, p)
    carry = Σ over closed earlier releases of (remaining + expired − carried_out)

``pool`` goes to the active stores without a release for *D* in proportion to their
``weight`` (population served), floored, the leftover units one each to the largest
remainders (ties by store code). So the day releases exactly the pool, never more;
with no active store the pool stays on hand. A hand-set release takes its units from
the same stock on hand and is refused when there is not enough.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.reservations import (
    SupplyCapacity,
    SupplyRelease,
    SupplyReservation,
    SupplyStock,
    SupplyStore,
)
from bot.services.reservations.context import SupplyContext
from bot.services.reservations.errors import InvalidInput, ReservationError

REL, CAP, STOCK = SupplyRelease, SupplyCapacity, SupplyStock
MAX_QUANTITY = 100_000_000


def split_by_weight(pool: int, weights: list[tuple[str, float]]) -> dict[str, int]:
    """Largest-remainder split of ``pool`` over (code, weight); sums to ``pool`` exactly."""
    total = sum(w for _, w in weights)
    if pool <= 0 or total <= 0:
        return {}
    exact = {code: pool * w / total for code, w in weights}
    shares = {code: int(x) for code, x in exact.items()}
    left = pool - sum(shares.values())
    for code in sorted(exact, key=lambda c: (-(exact[c] - shares[c]), c))[:left]:
        shares[code] += 1
    return shares


def _check_qty(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_QUANTITY:
        raise InvalidInput(field, "数量无效。", f"{field} must be a whole number 0…{MAX_QUANTITY}.")
    return value


async def set_capacity(ctx: SupplyContext, product: str, day: date, quantity: int) -> None:
    """Record producers' capacity for a day (before its intake; afterwards refused)."""
    quantity = _check_qty(quantity, "quantity")
    _, pid = await ctx.product(product)

    async def work(session: AsyncSession) -> None:
        row = (await session.scalars(sa.select(CAP).where(CAP.product_id == pid,
                                                          CAP.day == day))).first()
        if row is None:
            session.add(CAP(product_id=pid, day=day, quantity=quantity))
        elif row.taken_in:
            raise ReservationError("already_released", "这一天已经放号，不能再改产能。",
                                   "That day is already released; set stock on hand instead.")
        else:
            row.quantity = quantity

    await ctx.db.retrying(work)


async def set_stock(ctx: SupplyContext, product: str, on_hand: int) -> None:
    """Set the stock on hand of a product (a count at the warehouse)."""
    on_hand = _check_qty(on_hand, "stock")
    _, pid = await ctx.product(product)

    async def work(session: AsyncSession) -> None:
        row = await session.get(STOCK, pid)
        if row is None:
            session.add(STOCK(product_id=pid, on_hand=on_hand, updated_at=ctx.clock.now()))
        else:
            row.on_hand, row.updated_at = on_hand, ctx.clock.now()

    await ctx.db.retrying(work)


async def _intake(ctx: SupplyContext, session: AsyncSession, pid: int, day: date,
                  lottery: bool) -> tuple[SupplyCapacity, SupplyStock]:
    """Once per (product, day): move capacity and carry-over into stock on hand."""
    query = ctx.repo.for_update(sa.select(CAP).where(CAP.product_id == pid, CAP.day == day))
    cap = (await session.scalars(query)).first()
    if cap is None:
        cap = CAP(product_id=pid, day=day, quantity=0)
        session.add(cap)
        await session.flush()
    stock = await ctx.repo.get_for_update(session, STOCK, pid)
    if stock is None:
        stock = STOCK(product_id=pid, on_hand=0, updated_at=ctx.clock.now())
        session.add(stock)
    if not cap.taken_in:
        now = ctx.clock.now()
        closed = [d for d in await session.scalars(sa.select(REL.day).distinct().where(
            REL.product_id == pid, REL.day < day))
            if ctx.rules.at(d, ctx.rules.closes_at) <= now]
        carry = 0
        if closed:
            expired = (sa.select(sa.func.coalesce(sa.func.sum(SupplyReservation.quantity), 0))
                       .where(SupplyReservation.release_id == REL.id,
                              SupplyReservation.status == "expired").scalar_subquery())
            rows = (await session.execute(sa.select(REL.id, REL.remaining + expired
                                                    - REL.carried_out).where(
                REL.product_id == pid, REL.day.in_(closed),
                sa.or_(REL.drawn.is_(True), sa.literal(not lottery))))).all()
            for rid, extra in rows:
                if extra:
                    carry += extra
                    await session.execute(sa.update(REL).where(REL.id == rid).values(
                        carried_out=REL.carried_out + extra)
                        .execution_options(synchronize_session=False))
        stock.on_hand += cap.quantity + carry
        stock.updated_at = now
        cap.taken_in = True
    return cap, stock


@dataclass(frozen=True)
class ReleaseReport:
    product: str
    day: date
    released: int  #: units distributed by this run (0 when already done)
    on_hand: int  #: left undistributed


async def compute_releases(ctx: SupplyContext, day: date) -> list[ReleaseReport]:
    """Release ``day`` for every product; running it again changes nothing."""
    reports = []
    for code, pid in sorted((await ctx.product_ids()).items()):
        lottery = ctx.rules.products[code].mode == "lottery"

        async def work(session: AsyncSession, pid: int = pid, code: str = code,
                       lottery: bool = lottery) -> ReleaseReport:
            cap, stock = await _intake(ctx, session, pid, day, lottery)
            if cap.distributed:
                return ReleaseReport(code, day, 0, stock.on_hand)
            have = set(await session.scalars(sa.select(REL.store_id).where(
                REL.product_id == pid, REL.day == day)))
            stores = [s for s in await session.scalars(
                sa.select(SupplyStore).where(SupplyStore.active.is_(True))) if s.id not in have]
            shares = split_by_weight(stock.on_hand, [(s.code, s.weight) for s in stores])
            rule, now = ctx.rules.products[code], ctx.clock.now()
            share = rule.priority.share if rule.priority else 0.0
            for s in stores:
                n = shares.get(s.code, 0)
                session.add(REL(store_id=s.id, product_id=pid, day=day, released=n, remaining=n,
                                priority_left=int(n * share), updated_at=now))
            given = sum(shares.values())
            stock.on_hand -= given
            cap.distributed = True
            return ReleaseReport(code, day, given, stock.on_hand)

        reports.append(await ctx.db.retrying(work))
    return reports


async def set_release(ctx: SupplyContext, day: date, product: str, store: str,
                      quantity: int) -> int:
    """Set one store's release by hand; the difference comes from (or goes to) stock on hand."""
    quantity = _check_qty(quantity, "quantity")
    rule, pid = await ctx.product(product)

    async def work(session: AsyncSession) -> int:
        st = await ctx.store(session, store)
        _, stock = await _intake(ctx, session, pid, day, rule.mode == "lottery")
        query = ctx.repo.for_update(sa.select(REL).where(
            REL.store_id == st.id, REL.product_id == pid, REL.day == day))
        rel = (await session.scalars(query)).first()
        old, taken = (rel.released, rel.released - rel.remaining) if rel else (0, 0)
        if quantity < taken:
            raise InvalidInput("quantity", f"已有 {taken} 份被预约，不能低于此数。",
                               f"{taken} unit(s) are already reserved; cannot go below that.")
        if quantity - old > stock.on_hand:
            raise ReservationError(
                "over_supply", "超过了产能加结转库存。",
                f"Only {stock.on_hand} more unit(s) on hand (production plus carry-over).")
        stock.on_hand -= quantity - old
        now = ctx.clock.now()
        kept = int(quantity * (rule.priority.share if rule.priority else 0))
        if rel is None:
            session.add(REL(store_id=st.id, product_id=pid, day=day, released=quantity,
                            remaining=quantity, priority_left=kept, manual=True,
                            updated_at=now))
        else:
            rel.released, rel.remaining = quantity, quantity - taken
            rel.priority_left = min(kept, rel.remaining)
            rel.manual, rel.updated_at = True, now
        return stock.on_hand

    return await ctx.db.retrying(work)
