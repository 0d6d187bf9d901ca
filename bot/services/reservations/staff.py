"""Store staff at the /store page: their store, code lookup and single-use redeem.

Store staff are staff accounts of role ``store_staff`` with a store (``tongguan staff add
NAME --role store_staff --store CODE``): they log in like every other staff member
(:mod:`bot.services.staff`).
"""

from __future__ import annotations

import asyncio
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.reservations import SupplyProduct, SupplyRelease, SupplyReservation, SupplyStore
from bot.db.models.staff import StaffAccount
from bot.services.reservations import pickup_codes
from bot.services.reservations.context import SupplyContext, local
from bot.services.reservations.errors import InvalidInput, NotFound, ReservationError
from bot.services.staff.passwords import hash_async
from codes import mask_name

RES, REL = SupplyReservation, SupplyRelease
GUESS_LIMIT = 10  #: unknown codes per staff account …
GUESS_WINDOW = timedelta(minutes=10)  #: … within this window, then each further miss waits
BACKOFF_BASE = 0.25  #: seconds the first miss beyond the limit waits, doubling …
BACKOFF_MAX = 8.0  #: … up to this


async def add_staff(ctx: SupplyContext, store: str, username: str) -> str:
    """Create (or move and reset) a store staff account; returns the generated password.

    Kept for ``tongguan supply add-staff``; ``tongguan staff add`` is the general way.
    """
    username = username.strip()
    if not 3 <= len(username) <= 60 or not username.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput("username", "用户名须为 3–60 个字母或数字。",
                           "Username: 3-60 letters, digits, - or _.")
    password = secrets.token_urlsafe(12)
    digest = await hash_async(password)

    async def work(session: AsyncSession) -> None:
        st = await ctx.store(session, store)
        row = (await session.scalars(sa.select(StaffAccount).where(
            StaffAccount.username == username))).first()
        if row is None:
            session.add(StaffAccount(username=username, password_hash=digest,
                                     role="store_staff", store=st.code,
                                     created_at=ctx.clock.now(), failed_logins=0,
                                     failed_lookups=0))
        elif row.role != "store_staff":
            raise InvalidInput("username", "该用户名已被其他工作人员账号使用。",
                               "That username belongs to another kind of staff account.")
        else:
            row.store, row.password_hash = st.code, digest
            row.failed_logins, row.locked_until = 0, None

    await ctx.db.retrying(work)
    return password


@dataclass(frozen=True)
class StaffMember:
    """A store staff account with its store."""

    id: int
    username: str
    store_id: int
    store_code: str
    store_name: str


async def member_at_store(ctx: SupplyContext, account_id: int, username: str,
                          store: str | None) -> StaffMember | None:
    """The store staff member of an account whose store exists, else None."""
    if store is None:
        return None
    async with ctx.db.sessions() as session:
        row = (await session.execute(sa.select(SupplyStore.id, SupplyStore.name).where(
            SupplyStore.code == store))).first()
    return None if row is None else StaffMember(account_id, username, row[0], store, row[1])


def backoff(misses: int) -> float:
    """Seconds a miss beyond :data:`GUESS_LIMIT` waits: doubling, at most BACKOFF_MAX."""
    return 0.0 if misses <= GUESS_LIMIT else \
        min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (misses - GUESS_LIMIT - 1))


async def _missed(ctx: SupplyContext, staff: StaffMember) -> None:
    """Count a lookup of an unknown code; beyond :data:`GUESS_LIMIT` misses in the window
    the answer waits (:func:`backoff`) and says so (429 ``rate_limited``). Codes that are
    found are never counted nor slowed: a clerk who mistyped keeps serving the queue."""
    now = ctx.clock.now()

    async def work(session: AsyncSession) -> int:
        row = await session.get(StaffAccount, staff.id, with_for_update=True)
        assert row is not None
        if row.failed_since is None or row.failed_since <= now - GUESS_WINDOW:
            row.failed_since, row.failed_lookups = now, 0
        row.failed_lookups += 1
        return row.failed_lookups

    wait = backoff(await ctx.db.retrying(work))
    if wait:
        await asyncio.sleep(wait)  # a guessing script slows down; Retry-After tells people
        seconds = math.ceil(wait)
        err = ReservationError(
            "rate_limited", f"错误的取货码过多：请核对后再输入，每次错误需等待 {seconds} 秒。",
            f"Too many wrong codes: check the code; each wrong one now waits {seconds} s.",
            retry_after=seconds)
        err.status = 429
        raise err


@dataclass(frozen=True)
class Ticket:
    """What staff see for a code: no ID number, a masked name."""

    public_id: str
    product: str
    product_name: dict[str, str]
    quantity: int
    pack_size: int
    masked_name: str
    status: str
    window_end: datetime
    closed_at: datetime | None

    def to_json(self, ctx: SupplyContext) -> dict[str, object]:
        return {"reservation_id": self.public_id, "product": self.product,
                "product_name": self.product_name, "quantity": self.quantity,
                "pack_size": self.pack_size, "name": self.masked_name, "status": self.status,
                "window_end": local(ctx, self.window_end).isoformat(),
                "closed_at": local(ctx, self.closed_at).isoformat() if self.closed_at else None}


async def lookup(ctx: SupplyContext, staff: StaffMember, typed: str) -> Ticket:
    """The reservation behind a typed or scanned code, at this staff member's store.

    Raises:
        NotFound: ``unknown_code`` (404); ReservationError ``rate_limited`` (429) instead
            once this account has missed too often (see :func:`_missed`).
    """
    code = pickup_codes.normalize(typed)
    row = None
    if code is not None:
        async with ctx.db.sessions() as session:
            row = (await session.execute(
                sa.select(RES, SupplyProduct.code).join(REL, REL.id == RES.release_id)
                .join(SupplyProduct, SupplyProduct.id == REL.product_id)
                .where(RES.code_hash == pickup_codes.code_hash(code),
                       REL.store_id == staff.store_id)
            )).first()
    if row is None:
        await _missed(ctx, staff)
        raise NotFound("unknown_code", "取货码无效（或不属于本店）。",
                       "Unknown pickup code (or not for this store).")
    res, product = row
    rule = ctx.rules.products.get(product)
    status = "expired" if res.status == "active" and res.window_end <= ctx.clock.now() \
        else res.status
    return Ticket(res.public_id, product, rule.name if rule else {"zh": product, "en": product},
                  res.quantity, rule.pack_size if rule else 1,
                  mask_name(ctx.sealer.open(res.name_sealed)), status, res.window_end,
                  res.closed_at)
