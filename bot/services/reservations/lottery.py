"""Lottery mode: register in a window, then a seeded draw anyone can re-run.

The draw ranks entries by ``SHA-256(seed ":" public_id)``; ``public_id`` is random, so
the order owes nothing to when someone registered. Winners are taken in that order
while the release has stock for their quantity (never more than supply). The seed,
the entries (sorted by id) and the winners are stored in ``supply_draws``; calling
:func:`draw_winners` with them gives the same winners.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.reservations import (
    SupplyDraw,
    SupplyRegistration,
    SupplyRelease,
    SupplyStore,
)
from bot.messages import Reply
from bot.services.reservations import notices
from bot.services.reservations.context import SupplyContext, local
from bot.services.reservations.errors import ReservationError
from bot.services.reservations.holds import HoldRequest, place_hold
from bot.services.reservations.identity import Person
from bot.services.reservations.rules import ProductRule

log = logging.getLogger("tongguan.reservations")
REG = SupplyRegistration


def draw_winners(seed: str, entries: list[tuple[str, int]], supply: int) -> list[str]:
    """Winners' public ids for ``seed`` over ``entries`` ([(public_id, quantity)])."""
    ranked = sorted(entries, key=lambda e: hashlib.sha256(f"{seed}:{e[0]}".encode()).digest())
    winners, left = [], supply
    for public_id, quantity in ranked:
        if quantity <= left:
            winners.append(public_id)
            left -= quantity
    return winners


async def register_entry(ctx: SupplyContext, session: AsyncSession, rule: ProductRule,
                         product_id: int, release_id: int, day: date, person: Person,
                         account: str, channel: str, user_id: str, quantity: int,
                         now: datetime) -> str:
    """One entry per person, product and day (a unique constraint, not a read)."""
    public_id = secrets.token_hex(8)
    try:
        async with session.begin_nested():
            await session.execute(sa.insert(REG).values(
                public_id=public_id, release_id=release_id, product_id=product_id, day=day,
                person_key=person.key, account_key=account, channel=channel, user_id=user_id,
                quantity=quantity, name_sealed=person.name_sealed, status="registered",
                created_at=now))
    except IntegrityError:
        raise ReservationError("already_registered", "您今天已经登记过这次抽签。",
                               "You are already registered for today's draw.") from None
    return public_id


async def run_draw(ctx: SupplyContext, release_id: int) -> int | None:
    """Draw one release's lottery once (safe with several workers); returns winner count."""
    now = ctx.clock.now()

    async def work(session: AsyncSession) -> int | None:
        query = ctx.repo.for_update(sa.select(SupplyRelease).where(
            SupplyRelease.id == release_id, SupplyRelease.drawn.is_(False)), skip_locked=True)
        release = (await session.scalars(query)).first()
        if release is None:
            return None
        regs = (await session.scalars(sa.select(REG).where(
            REG.release_id == release_id, REG.status == "registered"))).all()
        entries = sorted((r.public_id, r.quantity) for r in regs)
        seed = secrets.token_hex(32)
        supply = release.remaining
        winners = draw_winners(seed, entries, supply)
        won = set(winners)
        store = await session.get(SupplyStore, release.store_id)
        rule_code = {v: k for k, v in (await ctx.product_ids()).items()}[release.product_id]
        rule = ctx.rules.products[rule_code]
        nxt = local(ctx, ctx.rules.at(release.day + timedelta(days=1), ctx.rules.opens_at))
        langs = await notices.languages(session, ((r.channel, r.user_id) for r in regs))
        for reg in regs:
            code = await award(ctx, session, rule, release, reg, now) if reg.public_id in won \
                else None
            reg.status = "won" if code else "lost"
            await ctx.outbox.enqueue(channel=reg.channel, user_id=reg.user_id, session=session,
                                     dedupe_key=f"supply-draw:{reg.public_id}",
                                     replies=[Reply.say(notices.draw_result(
                                         ctx, notices.lang_of(langs, reg.channel, reg.user_id),
                                         rule, store.name if store else "", code,
                                         release.day, nxt))])
        release.drawn = True
        session.add(SupplyDraw(release_id=release_id, seed=seed, supply=supply,
                               entries=[list(e) for e in entries], winners=winners,
                               drawn_at=now))
        return len(winners)

    count = await ctx.db.retrying(work)
    if count is not None:
        log.info("reservations.draw.done release=%s winners=%s", release_id, count)
    return count


async def award(ctx: SupplyContext, session: AsyncSession, rule: ProductRule,
                release: SupplyRelease, reg: SupplyRegistration, now: datetime) -> str | None:
    """Turn a winning entry into a hold; None when the person's limit no longer allows it."""
    person = Person(key=reg.person_key, name_sealed=reg.name_sealed, birth=date(2000, 1, 1),
                    parity="even")
    req = HoldRequest(rule, release.product_id, release.id, release.day, person,
                      reg.account_key, reg.channel, reg.user_id, reg.quantity, priority=True,
                      trusted=True)  # the binding was checked when they registered
    try:
        async with session.begin_nested():
            hold = await place_hold(ctx, session, req, now)
    except ReservationError as err:
        log.info("reservations.draw.skipped reason=%s", err.code)
        return None
    return hold.code
