"""The one transaction that turns stock into a hold: quotas first, the hot row last.

Every limit is enforced by the database, not by a read: a conditional ``UPDATE``
on a per-person (and per-account) quota row, and ``UPDATE … SET remaining =
remaining - q WHERE remaining >= q`` on the release. The release row is touched
last, so its lock is held only from that statement to ``COMMIT``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.reservations import (
    SupplyHousehold,
    SupplyQuota,
    SupplyRelease,
    SupplyReservation,
)
from bot.services.reservations import codes
from bot.services.reservations.context import SupplyContext, local
from bot.services.reservations.errors import ReservationError
from bot.services.reservations.identity import Person
from bot.services.reservations.rules import ProductRule

R = SupplyRelease
QT = SupplyQuota.__table__
RT = SupplyReservation.__table__
HT = SupplyHousehold.__table__
RELT = SupplyRelease.__table__


@dataclass(frozen=True)
class HoldRequest:
    """Everything one hold needs, already checked."""

    rule: ProductRule
    product_id: int
    release_id: int
    day: date
    person: Person
    account_key: str
    channel: str
    user_id: str
    quantity: int
    priority: bool = False
    keep_priority: bool = False  #: the priority share is still held back from others


@dataclass(frozen=True)
class Hold:
    """A created hold: its public id and the pickup code (only ever returned here)."""

    public_id: str
    code: str
    window_start: datetime
    window_end: datetime


async def _take_quota(ctx: SupplyContext, session: AsyncSession, subject: str, product_id: int,
                      period: date, amount: int, limit: int) -> bool:
    """One upsert: a new row starts at ``amount``; an existing one grows only within ``limit``."""
    if amount > limit:
        return False
    stmt = ctx.insert(QT).values(subject=subject, product_id=product_id, period=period,
                                 used=amount)
    stmt = stmt.on_conflict_do_update(index_elements=["subject", "product_id", "period"],
                                      set_={"used": QT.c.used + amount},
                                      where=QT.c.used + amount <= limit).returning(QT.c.id)
    return (await session.execute(stmt)).first() is not None


async def give_back_quota(session: AsyncSession, subject: str, product_id: int, period: date,
                          amount: int) -> None:
    await session.execute(sa.update(SupplyQuota).where(
        SupplyQuota.subject == subject, SupplyQuota.product_id == product_id,
        SupplyQuota.period == period).values(used=SupplyQuota.used - amount)
        .execution_options(synchronize_session=False))


def limit_error(ctx: SupplyContext, rule: ProductRule, period: date) -> ReservationError:
    nxt = period + timedelta(days=rule.limit_days)
    return ReservationError(
        "limit_reached",
        f"您本期的{rule.name['zh']}额度（每 {rule.limit_days} 天 {rule.limit_packs} 份）已用完，"
        f"{nxt:%m月%d日}起可再次预约。",
        f"You have reached the limit for {rule.name['en']} ({rule.limit_packs} pack(s) per "
        f"{rule.limit_days} days); you can reserve again from {nxt:%b %d}.",
        next_possible=nxt.isoformat())


def sold_out_error(ctx: SupplyContext, now: datetime) -> ReservationError:
    nxt = local(ctx, ctx.next_opening(now))
    return ReservationError(
        "sold_out",
        f"这家药店今天的份额已约完。下一次放号：{nxt:%m月%d日 %H:%M}；也可以选其他药店。",
        f"This store's share for today is gone. Next release: {nxt:%b %d %H:%M}; "
        "or pick another store.", next_release=nxt.isoformat())


async def place_hold(ctx: SupplyContext, session: AsyncSession, req: HoldRequest,
                     now: datetime) -> Hold:
    """Quota, household, reservation row, then the conditional decrement (raises on refusal)."""
    rule, period = req.rule, ctx.rules.period_start(req.rule, req.day)
    if not await _take_quota(ctx, session, req.person.key, req.product_id, period,
                             req.quantity, rule.limit_packs):
        raise limit_error(ctx, rule, period)
    added = await session.execute(ctx.insert(HT).values(
        account_key=req.account_key, product_id=req.product_id, period=period,
        person_key=req.person.key).on_conflict_do_nothing())
    if added.rowcount == 1 and not await _take_quota(
            ctx, session, "acct:" + req.account_key, req.product_id, period, 1,
            rule.household + 1):
        raise ReservationError(
            "household_limit", f"一个账号每期最多为 {rule.household + 1} 人预约。",
            f"One account may reserve for at most {rule.household + 1} people per period.")
    code = codes.new_code()
    hold = Hold(public_id=secrets.token_hex(8), code=code, window_start=now,
                window_end=ctx.rules.window_end(req.day))
    await session.execute(RT.insert().values(
        public_id=hold.public_id, release_id=req.release_id, person_key=req.person.key,
        account_key=req.account_key, channel=req.channel, user_id=req.user_id,
        quantity=req.quantity, period=period, name_sealed=req.person.name_sealed,
        code_hash=codes.code_hash(code), code_sealed=ctx.sealer.seal(code), status="active",
        window_start=hold.window_start, window_end=hold.window_end, reminded=False,
        created_at=now))
    q, c = req.quantity, RELT.c
    if req.priority:
        cond = c.remaining >= q
        values = dict(remaining=c.remaining - q, updated_at=now,
                      priority_left=sa.case((c.priority_left >= q, c.priority_left - q),
                                            else_=0))
    else:
        cond = (c.remaining - c.priority_left >= q) if req.keep_priority else (c.remaining >= q)
        values = dict(remaining=c.remaining - q, updated_at=now)
    taken = await session.execute(RELT.update().where(c.id == req.release_id, cond)
                                  .values(**values))
    if taken.rowcount != 1:
        raise sold_out_error(ctx, now)
    return hold
