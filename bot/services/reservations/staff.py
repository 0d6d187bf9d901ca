"""Store staff: accounts (scrypt), cookie sessions, code lookup and single-use redeem."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.reservations import (
    SupplyProduct,
    SupplyRelease,
    SupplyReservation,
    SupplyStaff,
    SupplyStaffSession,
    SupplyStore,
)
from bot.privacy import token_hash
from bot.services.reservations import pickup_codes
from bot.services.reservations.context import SupplyContext, local
from bot.services.reservations.errors import InvalidInput, NotFound, ReservationError
from codes import mask_name

RES, REL = SupplyReservation, SupplyRelease
SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}
SESSION_TTL = timedelta(hours=12)
GUESS_LIMIT = 10  #: failed lookups per staff account …
GUESS_WINDOW = timedelta(minutes=10)  #: … within this window, then 429 until it passes


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(key).decode()


def check_password(password: str, stored: str) -> bool:
    try:
        _, salt, key = stored.split("$")
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), dklen=32, **SCRYPT)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(key))


async def add_staff(ctx: SupplyContext, store: str, username: str) -> str:
    """Create (or reset) a staff account for a store; returns the generated password."""
    username = username.strip()
    if not 3 <= len(username) <= 60 or not username.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput("username", "用户名须为 3–60 个字母或数字。",
                           "Username: 3-60 letters, digits, - or _.")
    password = secrets.token_urlsafe(12)

    async def work(session: AsyncSession) -> None:
        st = await ctx.store(session, store)
        row = (await session.scalars(sa.select(SupplyStaff).where(
            SupplyStaff.username == username))).first()
        if row is None:
            session.add(SupplyStaff(store_id=st.id, username=username,
                                    password_hash=hash_password(password),
                                    created_at=ctx.clock.now()))
        else:
            row.store_id, row.password_hash = st.id, hash_password(password)

    await ctx.db.retrying(work)
    return password


@dataclass(frozen=True)
class StaffMember:
    id: int
    username: str
    store_id: int
    store_code: str
    store_name: str


async def login(ctx: SupplyContext, username: str, password: str) -> str | None:
    """A session token for good credentials, else None (same work either way)."""
    async with ctx.db.sessions() as session:
        row = (await session.scalars(sa.select(SupplyStaff).where(
            SupplyStaff.username == username.strip()))).first()
    ok = check_password(password, row.password_hash if row else hash_password("x"))
    if row is None or not ok:
        return None
    token = secrets.token_urlsafe(32)
    async with ctx.db.sessions.begin() as session:
        session.add(SupplyStaffSession(token_hash=token_hash(token), staff_id=row.id,
                                       expires_at=ctx.clock.now() + SESSION_TTL))
    return token


async def staff_for(ctx: SupplyContext, token: str) -> StaffMember | None:
    async with ctx.db.sessions() as session:
        row = (await session.execute(
            sa.select(SupplyStaff, SupplyStore.code, SupplyStore.name,
                      SupplyStaffSession.expires_at)
            .join(SupplyStaffSession, SupplyStaffSession.staff_id == SupplyStaff.id)
            .join(SupplyStore, SupplyStore.id == SupplyStaff.store_id)
            .where(SupplyStaffSession.token_hash == token_hash(token)))).first()
    if row is None or row[3] <= ctx.clock.now():
        return None
    staff = row[0]
    return StaffMember(staff.id, staff.username, staff.store_id, row[1], row[2])


async def _guard(ctx: SupplyContext, staff: StaffMember, failed: bool) -> None:
    """Count failed lookups; raise ``rate_limited`` once too many fall in the window."""
    now = ctx.clock.now()

    async def work(session: AsyncSession) -> int:
        row = await session.get(SupplyStaff, staff.id)
        assert row is not None
        if row.failed_since is None or row.failed_since <= now - GUESS_WINDOW:
            row.failed_since, row.failed_lookups = now, 0
        if failed:
            row.failed_lookups += 1
        return row.failed_lookups

    if await ctx.db.retrying(work) >= GUESS_LIMIT:
        err = ReservationError("rate_limited", "错误次数过多，请 10 分钟后再试。",
                               "Too many wrong codes; try again in 10 minutes.")
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
    """The reservation behind a typed or scanned code, at this staff member's store."""
    await _guard(ctx, staff, failed=False)
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
        await _guard(ctx, staff, failed=True)
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
