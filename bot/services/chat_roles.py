"""Staff roles held by chat identities: who may start a flow meant for staff.

A community worker chats like anyone else; a grant (``tongguan roles grant``) lets
their chat identity (``wechat:<openid>``, ``web:<id>``) start flows whose ``audience``
names their role. Lookups are cached per process for :data:`CACHE_SECONDS`, so a
revocation reaches every process within that time.
"""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa

from bot.clock import Clock
from bot.db.database import Database, affected_rows
from bot.db.models.roles import ChatRole
from bot.errors import TongguanError
from bot.roles import STAFF_ROLES

log = logging.getLogger("tongguan.roles")

CACHE_SECONDS = 10.0  #: how long a process trusts a looked-up set of roles


class ChatRoles:
    """Grant, revoke and look up the staff roles of chat identities."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}

    async def of(self, user_key: str) -> frozenset[str]:
        """The roles ``user_key`` holds (cached briefly)."""
        hit = self._cache.get(user_key)
        now = time.monotonic()
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
        async with self.db.sessions() as session:
            rows = await session.scalars(sa.select(ChatRole.role)
                                         .where(ChatRole.user_key == user_key))
            roles = frozenset(rows.all())
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[user_key] = (now, roles)
        return roles

    async def grant(self, user_key: str, role: str, *, by: str) -> bool:
        """Give ``role`` to ``user_key``; False when it was held already."""
        _check(user_key, role)
        async with self.db.write() as session:
            if await session.get(ChatRole, (user_key, role)) is not None:
                return False
            session.add(ChatRole(user_key=user_key, role=role, granted_by=by,
                                 granted_at=self.clock.now()))
        self._cache.pop(user_key, None)
        log.info("roles.grant role=%s by=%s", role, by)
        return True

    async def revoke(self, user_key: str, role: str, *, by: str) -> bool:
        """Take ``role`` from ``user_key``; False when it was not held."""
        _check(user_key, role)
        async with self.db.write() as session:
            result = await session.execute(sa.delete(ChatRole).where(
                ChatRole.user_key == user_key, ChatRole.role == role))
        self._cache.pop(user_key, None)
        log.info("roles.revoke role=%s by=%s", role, by)
        return bool(affected_rows(result))

    async def list(self) -> list[ChatRole]:
        async with self.db.sessions() as session:
            return list((await session.scalars(
                sa.select(ChatRole).order_by(ChatRole.user_key, ChatRole.role))).all())


class RoleError(TongguanError):
    """A grant or revocation names an unknown role or a malformed user key."""


def _check(user_key: str, role: str) -> None:
    if role not in STAFF_ROLES:
        raise RoleError(f"unknown role {role!r}: one of {', '.join(STAFF_ROLES)}")
    channel, _, user = user_key.partition(":")
    if not channel or not user or len(user_key) > 160:
        raise RoleError("a user key is channel:user, e.g. wechat:<openid> or web:<id>")
