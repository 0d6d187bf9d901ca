"""Staff logins: sessions, lockout after repeated failures, and who a token belongs to.

A login that fails :data:`MAX_FAILED` times in a row locks the account for
:data:`LOCK_TIME` (even the right password is refused meanwhile); every attempt, good or
bad, is in the staff audit log. A session token is random; only its SHA-256 is stored,
and each request reads it (so a logout or a disabled account takes effect at once, in
every process).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.staff import StaffAccount, StaffSession
from bot.hub import Hub
from bot.privacy import derive_key, token_hash
from bot.services.staff.audit import audit_in
from bot.services.staff.errors import StaffError
from bot.services.staff.passwords import check_async

MAX_FAILED = 5
LOCK_TIME = timedelta(minutes=15)
SESSION_TIME = timedelta(hours=12)


@dataclass(frozen=True)
class StaffPrincipal:
    """The staff member behind a request."""

    account_id: int
    username: str
    role: str
    district: str | None
    store: str | None

    @property
    def actor(self) -> str:
        """How the audit log names them."""
        return f"staff:{self.username}"

    def in_district(self, district: str | None) -> bool:
        """Whether their scope covers ``district`` (an unscoped account covers all)."""
        return self.district is None or self.district == district

    def to_json(self) -> dict[str, str | None]:
        return {"username": self.username, "role": self.role, "district": self.district,
                "store": self.store}


@dataclass(frozen=True)
class Login:
    token: str
    principal: StaffPrincipal
    expires_at: datetime


def _principal(row: StaffAccount) -> StaffPrincipal:
    return StaffPrincipal(row.id, row.username, row.role, row.district, row.store)


def _locked(hub: Hub, until: datetime) -> StaffError:
    wait = max(1, int((until - hub.clock.now()).total_seconds()))
    return StaffError("locked", f"登录失败次数过多，账号已锁定，请 {wait // 60 + 1} 分钟后再试。",
                      f"Too many failed logins: the account is locked; try again in "
                      f"{wait // 60 + 1} minutes.", status=429, retry_after=wait)


BAD_LOGIN = ("bad_login", "用户名或密码错误。", "Wrong username or password.")


async def login(hub: Hub, username: str, password: str, *, source: str = "") -> Login:
    """A new session for good credentials.

    Raises:
        StaffError: ``bad_login`` (401: unknown user, wrong password or disabled
            account, all alike) or ``locked`` (429, with ``retry_after`` seconds).
    """
    username = username.strip()[:60]
    async with hub.db.sessions() as session:
        row = (await session.scalars(sa.select(StaffAccount).where(
            StaffAccount.username == username))).first()
    now = hub.clock.now()
    if row is not None and row.locked_until is not None and row.locked_until > now:
        await _note(hub, row.id, "login.locked", source)
        raise _locked(hub, row.locked_until)
    ok = await check_async(password[:200], row.password_hash if row else None)
    if row is None or not ok or row.disabled_at is not None:
        if row is not None:
            until = await _failed(hub, row.id, source, disabled=row.disabled_at is not None)
            if until is not None:
                raise _locked(hub, until)
        raise StaffError(*BAD_LOGIN, status=401)
    token = secrets.token_urlsafe(32)
    expires_at = now + SESSION_TIME

    async def work(session: AsyncSession) -> None:
        await session.execute(sa.update(StaffAccount).where(StaffAccount.id == row.id)
                              .values(failed_logins=0, locked_until=None))
        session.add(StaffSession(token_hash=token_hash(token), account_id=row.id,
                                 created_at=now, expires_at=expires_at))
        audit_in(session, now, actor=f"staff:{row.username}", action="login",
                 object=f"staff:{row.username}", detail={"source": source})

    await hub.db.retrying(work)
    return Login(token, _principal(row), expires_at)


async def _failed(hub: Hub, account_id: int, source: str, *, disabled: bool) -> datetime | None:
    """Count a failed login; returns the lock's end when this one locked the account."""
    now = hub.clock.now()

    async def work(session: AsyncSession) -> datetime | None:
        row = await session.get(StaffAccount, account_id, with_for_update=True)
        assert row is not None
        row.failed_logins += 1
        locked = None
        if row.failed_logins >= MAX_FAILED:
            row.failed_logins, row.locked_until = 0, now + LOCK_TIME
            locked = row.locked_until
        audit_in(session, now, actor=f"staff:{row.username}",
                 action="login.disabled" if disabled else
                 ("login.lock" if locked else "login.failed"),
                 object=f"staff:{row.username}", detail={"source": source})
        return locked

    return await hub.db.retrying(work)


async def _note(hub: Hub, account_id: int, action: str, source: str) -> None:
    now = hub.clock.now()
    async with hub.db.write() as session:
        name = await session.scalar(sa.select(StaffAccount.username).where(
            StaffAccount.id == account_id))
        audit_in(session, now, actor=f"staff:{name}", action=action, object=f"staff:{name}",
                 detail={"source": source})


async def principal_for(hub: Hub, token: str) -> StaffPrincipal | None:
    """The live, enabled account behind a session token, or None."""
    if not token or len(token) > 200:
        return None
    async with hub.db.sessions() as session:
        row = (await session.execute(
            sa.select(StaffAccount, StaffSession.expires_at)
            .join(StaffSession, StaffSession.account_id == StaffAccount.id)
            .where(StaffSession.token_hash == token_hash(token)))).first()
    if row is None or row[1] <= hub.clock.now() or row[0].disabled_at is not None:
        return None
    return _principal(row[0])


async def logout(hub: Hub, token: str, principal: StaffPrincipal) -> None:
    """End the session of ``token`` (audited)."""
    now = hub.clock.now()
    async with hub.db.write() as session:
        await session.execute(sa.delete(StaffSession).where(
            StaffSession.token_hash == token_hash(token)))
        audit_in(session, now, actor=principal.actor, action="logout",
                 object=principal.actor)


def csrf_token(hub: Hub, token: str) -> str:
    """The CSRF token that goes with a session token (a keyed hash of it: nothing to
    store, and it changes with every login)."""
    key = derive_key(hub.settings.secret_key, "staff-csrf")
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()[:32]
