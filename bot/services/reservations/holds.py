"""The one transaction that turns stock into a hold: quotas first, the hot row last.

Every limit is enforced by the database, not by a read: a conditional upsert on a
per-person (and per-account) quota row, and ``UPDATE … SET remaining = remaining - q
WHERE remaining >= q`` on the release (the statements are the repository's,
``repository_postgres`` and ``repository_sqlite``). The release row is touched last, so
its lock is held only from that statement to ``COMMIT``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.db.models.reservations import SupplyQuota
from bot.services.reservations import pickup_codes
from bot.services.reservations.context import SupplyContext, local
from bot.services.reservations.errors import ReservationError
from bot.services.reservations.identity import Person
from bot.services.reservations.rules import ProductRule


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


def priority_of(ctx: SupplyContext, req: HoldRequest, now: datetime) -> tuple[bool, list[str]]:
    """(known priority, groups to look the person up in): what the hot path needs to decide."""
    if req.priority:
        return True, []
    prio = req.rule.priority
    if prio is None or prio.share <= 0 or now >= ctx.rules.at(ctx.rules.city_day(now),
                                                                prio.until):
        return False, []
    if "age80" in prio.groups and req.person.age_on(ctx.rules.city_day(now)) >= 80:
        return True, []
    return False, [g for g in prio.groups if g != "age80"]


async def place_hold(ctx: SupplyContext, conn: AsyncConnection | AsyncSession | None,
                     req: HoldRequest, now: datetime) -> Hold:
    """Quota, household, stock and reservation row in one go (raises on refusal).

    Refusals leave partial writes in the transaction: raising rolls it back whole.
    With ``None`` (where ``ctx.repo.can_hold_alone()``) the hold is its own transaction,
    committed (or rolled back) by the repository.
    """
    rule, period = req.rule, ctx.rules.period_start(req.rule, req.day)
    if req.quantity > rule.limit_packs:
        raise limit_error(ctx, rule, period)
    code = pickup_codes.new_code()
    hold = Hold(public_id=secrets.token_hex(8), code=code, window_start=now,
                window_end=ctx.rules.window_end(req.day))
    prio, groups = priority_of(ctx, req, now)
    params = {"person": req.person.key, "pid": req.product_id, "period": period,
              "qty": req.quantity, "lim": rule.limit_packs, "acct": req.account_key,
              "acct_subject": "acct:" + req.account_key, "hlim": rule.household + 1,
              "prio": prio, "keep": req.keep_priority, "rid": req.release_id, "now": now,
              "public_id": hold.public_id, "channel": req.channel, "user_id": req.user_id,
              "name_sealed": req.person.name_sealed, "code_hash": pickup_codes.code_hash(code),
              "code_sealed": ctx.sealer.seal(code), "window_start": hold.window_start,
              "window_end": hold.window_end}
    if isinstance(conn, AsyncSession):
        conn = await conn.connection()
    taken = await ctx.repo.take(conn, params, groups)
    if not taken.quota:
        raise limit_error(ctx, rule, period)
    if not taken.household_ok:
        raise ReservationError(
            "household_limit", f"一个账号每期最多为 {rule.household + 1} 人预约。",
            f"One account may reserve for at most {rule.household + 1} people per period.")
    if not taken.held:
        raise sold_out_error(ctx, now)
    return hold
