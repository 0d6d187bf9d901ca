"""The one transaction that turns stock into a hold: binding and quotas first, the hot
row last.

Every rule is enforced by the database, not by a read: the hold applies only for a
person the identity may reserve for (its own bound ID, or a recorded dependant bound to
nobody: see :mod:`.binding`), a conditional upsert on the person's and the household's
quota rows (rolling windows: a new window once the last one's ``limit_days`` have
passed since its start or the last pickup, else added within the limit), and ``UPDATE …
SET remaining = remaining - q WHERE remaining >= q`` on the release (the statements are
the repository's, ``repository_postgres`` and ``repository_sqlite``). The release row is
touched last, so its lock is held only from that statement to ``COMMIT``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot import metrics
from bot.db.models.reservations import SupplyQuota, SupplyRelease, SupplyReservation
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
    proxy: bool = False  #: for a family member (a dependant), not "for myself"
    #: the binding was checked already (a lottery winner: checked when registering)
    trusted: bool = False

    @property
    def user_key(self) -> str:
        """The chat identity (``channel:user_id``) an ID number is bound to."""
        return f"{self.channel}:{self.user_id}"


class NotBound(Exception):  # noqa: N818 - a signal, not an error anyone sees
    """The hold did not apply: the person is not yet this identity's own bound ID, nor a
    recorded dependant of it (:mod:`.binding` decides, then the hold runs again)."""


@dataclass(frozen=True)
class Hold:
    """A created hold: its public id and the pickup code (only ever returned here)."""

    public_id: str
    code: str
    window_start: datetime
    window_end: datetime


async def give_back_quota(session: AsyncSession, subject: str, product_id: int, day: date,
                          amount: int) -> None:
    """Give ``amount`` back to the window a hold of ``day`` counted in (none if a new
    window has started since: the units were counted in one that is over)."""
    await session.execute(sa.update(SupplyQuota).where(
        SupplyQuota.subject == subject, SupplyQuota.product_id == product_id,
        SupplyQuota.period <= day).values(used=SupplyQuota.used - amount)
        .execution_options(synchronize_session=False))


async def count_from_pickup(session: AsyncSession, code_hash: str, day: date) -> None:
    """A hold was picked up on ``day``: its person's window now counts from that day
    (the window the hold counted in, unless a new one has started since)."""
    res, rel = SupplyReservation, SupplyRelease
    row = (await session.execute(sa.select(res.person_key, res.period, rel.product_id)
                                 .join(rel, rel.id == res.release_id)
                                 .where(res.code_hash == code_hash))).first()
    if row is None:
        return
    await session.execute(sa.update(SupplyQuota).where(
        SupplyQuota.subject == row.person_key, SupplyQuota.product_id == row.product_id,
        SupplyQuota.period <= row.period, SupplyQuota.since < day).values(since=day)
        .execution_options(synchronize_session=False))


def next_day(rule: ProductRule, since: date | None, day: date) -> date:
    """When a window counted from ``since`` is over (``day`` + the limit without one)."""
    return (since or day) + timedelta(days=rule.limit_days)


def limit_error(rule: ProductRule, nxt: date) -> ReservationError:
    return ReservationError(
        "limit_reached",
        f"{rule.name['zh']}每 {rule.limit_days} 天限 {rule.limit_packs} 份"
        f"（从上次预约或领取之日算起），您的额度已用完，{nxt:%m月%d日}起可再次预约。",
        f"You have reached the limit for {rule.name['en']} ({rule.limit_packs} pack(s) per "
        f"{rule.limit_days} days, counted from the last reservation or pickup); you can "
        f"reserve again from {nxt:%b %d}.",
        next_possible=nxt.isoformat())


def household_error(rule: ProductRule, nxt: date) -> ReservationError:
    n = rule.household + 1
    return ReservationError(
        "household_limit",
        f"同一户每 {rule.limit_days} 天最多为 {n} 人预约{rule.name['zh']}，本户已满，"
        f"{nxt:%m月%d日}起可再为其他家庭成员预约。",
        f"One household may reserve {rule.name['en']} for at most {n} people in "
        f"{rule.limit_days} days, and yours has; you can reserve for someone else in it "
        f"again from {nxt:%b %d}.", next_possible=nxt.isoformat())


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
    """:func:`_place_hold`, counted (``tongguan_reservations_total``)."""
    try:
        hold = await _place_hold(ctx, conn, req, now)
    except ReservationError as err:
        metrics.RESERVATIONS.labels(err.code).inc()
        raise
    metrics.RESERVATIONS.labels("held").inc()
    return hold


async def _place_hold(ctx: SupplyContext, conn: AsyncConnection | AsyncSession | None,
                      req: HoldRequest, now: datetime) -> Hold:
    """Binding, quota, household, stock and reservation row in one go (raises on refusal).

    Refusals leave partial writes in the transaction: raising rolls it back whole.
    With ``None`` (where ``ctx.repo.can_hold_alone()``) the hold is its own transaction,
    committed (or rolled back) by the repository.

    Raises:
        NotBound: the identity may not (yet) reserve for this person; nothing applied.
        ReservationError: ``limit_reached`` / ``household_limit`` (with the day it is
        possible again) or ``sold_out``.
    """
    rule, day = req.rule, req.day
    if req.quantity > rule.limit_packs:
        raise limit_error(rule, next_day(rule, None, day))
    code = pickup_codes.new_code()
    hold = Hold(public_id=secrets.token_hex(8), code=code, window_start=now,
                window_end=ctx.rules.window_end(day))
    prio, groups = priority_of(ctx, req, now)
    params = {"person": req.person.key, "pid": req.product_id, "day": day,
              "cutoff": day - timedelta(days=rule.limit_days), "qty": req.quantity,
              "lim": rule.limit_packs, "acct": req.account_key, "hlim": rule.household + 1,
              "user_key": req.user_key, "proxy": req.proxy, "trusted": req.trusted,
              "prio": prio, "keep": req.keep_priority, "rid": req.release_id, "now": now,
              "public_id": hold.public_id, "channel": req.channel, "user_id": req.user_id,
              "name_sealed": req.person.name_sealed, "code_hash": pickup_codes.code_hash(code),
              "code_sealed": ctx.sealer.seal(code), "window_start": hold.window_start,
              "window_end": hold.window_end}
    if isinstance(conn, AsyncSession):
        conn = await conn.connection()
    taken = await ctx.repo.take(conn, params, groups)
    if not taken.bound:
        raise NotBound()
    if not taken.quota:
        raise limit_error(rule, next_day(rule, await ctx.repo.window_since(conn, params), day))
    if not taken.household_ok:
        since = await ctx.repo.window_since(conn, params, household=True)
        raise household_error(rule, next_day(rule, since, day))
    if not taken.held:
        raise sold_out_error(ctx, now)
    return hold
