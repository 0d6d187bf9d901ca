"""Residents' side of the engine: reserve (or register for a draw), list, show, cancel."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.db.database import affected_rows
from bot.db.models.reservations import SupplyRelease, SupplyReservation, SupplyStore
from bot.services.ops.counters import CANCELLED, count_reservations
from bot.services.reservations import pickup_codes
from bot.services.reservations.binding import bind
from bot.services.reservations.context import SupplyContext
from bot.services.reservations.eligibility import (
    check_quantity,
    check_rotation,
    priority_kept,
)
from bot.services.reservations.errors import NotFound, ReservationError
from bot.services.reservations.holds import (
    HoldRequest,
    NotBound,
    give_back_quota,
    place_hold,
    sold_out_error,
)
from bot.services.reservations.identity import make_person
from bot.services.reservations.lottery import register_entry

RES, REL = SupplyReservation, SupplyRelease


@dataclass(frozen=True)
class ReserveRequest:
    """A resident's request, as typed: everything is checked by :func:`reserve`."""

    product: str
    store: str
    quantity: object
    name: str
    id_number: str
    channel: str
    user_id: str
    #: for a family member (a recorded dependant of this identity), not "for myself"
    proxy: bool = False


@dataclass(frozen=True)
class Outcome:
    """A reservation (``kind="reserved"``) or a lottery entry (``kind="registered"``)."""

    kind: str
    public_id: str
    product: str
    store: str
    store_name: str
    quantity: int
    pickup_code: str = ""  #: normal form; show with :func:`pickup_codes.display`
    window_start: datetime | None = None
    window_end: datetime | None = None
    draw_at: datetime | None = None

    def to_json(self) -> dict[str, object]:
        if self.kind == "registered":
            return {"registration_id": self.public_id, "status": "registered",
                    "store": self.store, "product": self.product, "quantity": self.quantity,
                    "draw_at": self.draw_at.isoformat() if self.draw_at else None}
        return {"reservation_id": self.public_id,
                "pickup_code": pickup_codes.display(self.pickup_code),
                "store": self.store, "product": self.product, "quantity": self.quantity,
                "window": {"start": self.window_start.isoformat() if self.window_start else None,
                           "end": self.window_end.isoformat() if self.window_end else None}}


def account_key(ctx: SupplyContext, channel: str, user_id: str) -> str:
    return ctx.sealer.blind_index("account", f"{channel}:{user_id}")


async def reserve(ctx: SupplyContext, req: ReserveRequest, *,
                  after: Callable[[AsyncConnection | AsyncSession, Outcome], Awaitable[None]]
                  | None = None) -> Outcome:
    """Reserve at one store now (first come), or register for today's draw (lottery).

    ``after`` (``async (conn, outcome) -> None``; ``conn`` is an ``AsyncConnection``, or
    an ``AsyncSession`` for a lottery entry) runs in the same transaction, e.g. to store
    the idempotent answer. Raises :class:`ReservationError` on a refusal.
    """
    rule, product_id = await ctx.product(req.product)
    quantity = check_quantity(rule, req.quantity)
    person = make_person(ctx.sealer, req.name, req.id_number)
    now = ctx.clock.now()
    day = ctx.check_open(now)
    check_rotation(rule, person, day)
    acct = account_key(ctx, req.channel, req.user_id)
    user_key = f"{req.channel}:{req.user_id}"

    code = str(req.store).strip()

    async def refuse(conn: AsyncConnection | AsyncSession | None) -> ReservationError:
        """Why there was no stock: an unknown or closed store, else sold out."""
        if not await ctx.repo.store_active(conn, code):
            return NotFound("unknown_store", "没有这家药店，或它暂停营业。",
                            "There is no such store, or it is closed for now.")
        return sold_out_error(ctx, now)

    async def hold(conn: AsyncConnection | AsyncSession | None) -> Outcome:
        """``conn``: the caller's transaction; ``None``: the hold is its own transaction
        (its reads run on connections of their own, released before the hold)."""
        slot = await ctx.slot(conn, code, product_id, day)
        if slot is None:
            raise await refuse(conn)
        try:
            made = await place_hold(ctx, conn, HoldRequest(
                rule, product_id, slot[0], day, person, acct, req.channel, req.user_id,
                quantity, keep_priority=priority_kept(ctx.rules, rule, now),
                proxy=req.proxy), now)
        except ReservationError as err:
            raise (await refuse(conn) if err.code == "sold_out" else err) from None
        out = Outcome("reserved", made.public_id, rule.code, slot[1], slot[2], quantity,
                      made.code, made.window_start, made.window_end)
        if after is not None:
            assert conn is not None  # with ``after``, hold runs in ctx.repo.in_transaction
            await after(conn, out)
        return out

    async def bind_then_hold(session: AsyncSession) -> Outcome:
        """The first reservation of an identity for this person: bind (or record the
        dependant), then hold, in one transaction: a refusal keeps neither."""
        await bind(ctx, session, person_key=person.key, name=req.name, user_key=user_key,
                   proxy=req.proxy, now=now)
        return await hold(session)

    async def register(session: AsyncSession) -> Outcome:
        slot = await ctx.slot(session, code, product_id, day)
        if slot is None:
            raise await refuse(session)
        await bind(ctx, session, person_key=person.key, name=req.name, user_key=user_key,
                   proxy=req.proxy, now=now)
        entry_id = await register_entry(ctx, session, rule, product_id, slot[0], day,
                                        person, acct, req.channel, req.user_id, quantity, now)
        out = Outcome("registered", entry_id, rule.code, slot[1], slot[2], quantity,
                      draw_at=ctx.rules.at(day, ctx.rules.closes_at))
        if after is not None:
            await after(session, out)
        return out

    if rule.mode == "lottery":
        return await ctx.db.retrying(register)
    try:
        if after is None and ctx.repo.can_hold_alone():  # the whole transaction: leanest
            return await hold(None)
        return await ctx.repo.in_transaction(hold)
    except NotBound:  # nothing applied: bind first (or be refused), then hold
        pass
    try:
        return await ctx.db.retrying(bind_then_hold)
    except NotBound:
        raise AssertionError("the hold did not see the binding just made") from None


@dataclass(frozen=True)
class MyReservation:
    public_id: str
    product: str
    store: str
    store_name: str
    store_address: str
    quantity: int
    status: str
    window_end: datetime
    code: str  #: normal form


async def list_mine(ctx: SupplyContext, channel: str, user_id: str, *,
                    include_closed: bool = False) -> list[MyReservation]:
    """The account's reservations, newest first (active only unless ``include_closed``)."""
    ids = {v: k for k, v in (await ctx.product_ids()).items()}
    query = (sa.select(RES, SupplyStore.code, SupplyStore.name, SupplyStore.address,
                       REL.product_id)
             .join(REL, REL.id == RES.release_id).join(SupplyStore, SupplyStore.id == REL.store_id)
             .where(RES.account_key == account_key(ctx, channel, user_id))
             .order_by(RES.created_at.desc(), RES.id.desc()).limit(20))
    if not include_closed:
        query = query.where(RES.status == "active", RES.window_end > ctx.clock.now())
    async with ctx.db.sessions() as session:
        rows = (await session.execute(query)).all()
    return [MyReservation(r.public_id, ids.get(pid, "?"), code, name, address, r.quantity,
                          r.status, r.window_end, ctx.sealer.open(r.code_sealed))
            for r, code, name, address, pid in rows]


async def cancel(ctx: SupplyContext, channel: str, user_id: str, public_id: str) -> None:
    """Cancel an active reservation of this account; its stock returns at once.

    Raises:
        NotFound: no such reservation for this account.
        ReservationError: ``not_active`` (already redeemed, expired or cancelled).
    """
    acct, now = account_key(ctx, channel, user_id), ctx.clock.now()

    async def work(session: AsyncSession) -> None:
        row = (await session.execute(sa.select(
            RES.id, RES.release_id, RES.quantity, RES.person_key, RES.period, REL.product_id)
            .join(REL, REL.id == RES.release_id)
            .where(RES.public_id == str(public_id), RES.account_key == acct))).first()
        if row is None:
            raise NotFound("unknown_reservation", "找不到这个预约。",
                           "That reservation was not found.")
        done = await session.execute(sa.update(RES).where(RES.id == row.id,
                                                          RES.status == "active")
                                     .values(status="cancelled", closed_at=now)
                                     .execution_options(synchronize_session=False))
        if affected_rows(done) != 1:
            raise ReservationError("not_active", "这个预约已领取、过期或取消。",
                                   "That reservation was already redeemed, expired or cancelled.")
        await count_reservations(session, now, CANCELLED, RES.id == row.id)
        await session.execute(sa.update(REL).where(REL.id == row.release_id)
                              .values(remaining=REL.remaining + row.quantity, updated_at=now)
                              .execution_options(synchronize_session=False))
        await give_back_quota(session, row.person_key, row.product_id, row.period, row.quantity)

    await ctx.db.retrying(work)
