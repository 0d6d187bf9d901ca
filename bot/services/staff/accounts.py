"""Staff accounts: add, list, disable, reset a password.

Every change is written to the staff audit log in the same transaction. Disabling an
account or resetting its password ends its sessions at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.reservations import SupplyStore
from bot.db.models.staff import StaffAccount, StaffSession
from bot.hub import Hub
from bot.roles import STAFF_ROLES
from bot.services.staff.audit import audit_in
from bot.services.staff.errors import StaffError
from bot.services.staff.passwords import MIN_LENGTH, hash_async

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{2,59}")
SCOPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
#: roles a district may scope (store staff are scoped to their store instead)
DISTRICT_ROLES = frozenset(STAFF_ROLES) - {"store_staff"}


@dataclass(frozen=True)
class Account:
    """An account as listed (never its password hash)."""

    id: int
    username: str
    role: str
    district: str | None
    store: str | None
    created_at: datetime
    disabled: bool
    locked_until: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {"username": self.username, "role": self.role, "district": self.district,
                "store": self.store, "created_at": self.created_at.isoformat(),
                "disabled": self.disabled,
                "locked_until": self.locked_until.isoformat() if self.locked_until else None}


def _account(row: StaffAccount) -> Account:
    return Account(row.id, row.username, row.role, row.district, row.store, row.created_at,
                   row.disabled_at is not None, row.locked_until)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_LENGTH or len(password) > 200:
        raise StaffError("weak_password", f"密码须为 {MIN_LENGTH}–200 个字符。",
                         f"A password has {MIN_LENGTH}-200 characters.")


async def _store_exists(session: AsyncSession, code: str) -> bool:
    return (await session.scalar(sa.select(SupplyStore.id).where(SupplyStore.code == code))
            ) is not None


async def add_account(hub: Hub, username: str, role: str, password: str, *,
                      district: str | None = None, store: str | None = None,
                      actor: str = "system") -> Account:
    """Create an account.

    Raises:
        StaffError: a bad username, role, scope or password, a store that does not
            exist, or a username already taken (``exists``, 409).
    """
    username = username.strip()
    if not USERNAME.fullmatch(username):
        raise StaffError("bad_username", "用户名须为 3–60 个字母、数字或 _ . -，以字母或数字开头。",
                         "A username has 3-60 letters, digits, _ . or -, starting with a "
                         "letter or digit.")
    if role not in STAFF_ROLES:
        raise StaffError("bad_role", f"角色须为：{'、'.join(STAFF_ROLES)}。",
                         f"The role is one of: {', '.join(STAFF_ROLES)}.")
    if district is not None and (role not in DISTRICT_ROLES or not SCOPE.fullmatch(district)):
        raise StaffError("bad_district", "区县代码格式不对（门店员工不按区县划分）。",
                         "Bad district code (store staff are scoped to a store, not a "
                         "district).")
    if (role == "store_staff") != (store is not None):
        raise StaffError("bad_store", "门店员工必须指定门店（--store），其他角色不能指定。",
                         "Store staff need a store (--store); other roles take none.")
    check_password_rules(password)
    digest = await hash_async(password)
    now = hub.clock.now()

    async def work(session: AsyncSession) -> StaffAccount:
        if store is not None and not await _store_exists(session, store):
            raise StaffError("unknown_store", f"没有门店 {store}。", f"No store {store}.",
                             status=404)
        taken = await session.scalar(sa.select(StaffAccount.id).where(
            StaffAccount.username == username))
        if taken is not None:
            raise StaffError("exists", f"用户名 {username} 已存在。",
                             f"The username {username} is taken.", status=409)
        row = StaffAccount(username=username, password_hash=digest, role=role,
                           district=district, store=store, created_at=now,
                           failed_logins=0, failed_lookups=0)
        session.add(row)
        await session.flush()
        audit_in(session, now, actor=actor, action="staff.add", object=f"staff:{username}",
                 detail={"role": role, "district": district, "store": store})
        return row

    return _account(await hub.db.retrying(work))


async def list_accounts(hub: Hub) -> list[Account]:
    async with hub.db.sessions() as session:
        rows = (await session.scalars(sa.select(StaffAccount).order_by(
            StaffAccount.username))).all()
    return [_account(r) for r in rows]


async def _change(hub: Hub, username: str, action: str, actor: str,
                  change: Any) -> Account:
    now = hub.clock.now()

    async def work(session: AsyncSession) -> StaffAccount:
        row = (await session.scalars(sa.select(StaffAccount).where(
            StaffAccount.username == username.strip()).with_for_update())).first()
        if row is None:
            raise StaffError("unknown_staff", f"没有用户 {username}。",
                             f"No staff account {username}.", status=404)
        change(row, now)
        await session.execute(sa.delete(StaffSession).where(StaffSession.account_id == row.id))
        audit_in(session, now, actor=actor, action=action, object=f"staff:{row.username}")
        return row

    return _account(await hub.db.retrying(work))


async def disable_account(hub: Hub, username: str, *, actor: str = "system") -> Account:
    """Disable an account and end its sessions (its audit trail stays)."""
    def change(row: StaffAccount, now: datetime) -> None:
        row.disabled_at = row.disabled_at or now

    return await _change(hub, username, "staff.disable", actor, change)


async def enable_account(hub: Hub, username: str, *, actor: str = "system") -> Account:
    def change(row: StaffAccount, _now: datetime) -> None:
        row.disabled_at = None

    return await _change(hub, username, "staff.enable", actor, change)


async def reset_password(hub: Hub, username: str, password: str, *,
                         actor: str = "system") -> Account:
    """Set a new password, unlock the account and end its sessions."""
    check_password_rules(password)
    digest = await hash_async(password)

    def change(row: StaffAccount, _now: datetime) -> None:
        row.password_hash, row.failed_logins, row.locked_until = digest, 0, None

    return await _change(hub, username, "staff.reset_password", actor, change)
