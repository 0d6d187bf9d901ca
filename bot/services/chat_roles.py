"""Staff roles held by chat identities: who may start a flow meant for staff.

A community worker chats like anyone else; a grant (``tongguan roles grant``) lets
their chat identity (``wechat:<openid>``, ``web:<id>``) start flows whose ``audience``
names their role. Staff are few, so each process keeps the whole table in memory and
reads it again every :data:`REFRESH_SECONDS` in the background (lookups meanwhile answer
from the copy they have), and when asked about someone it does not list, at most every
:data:`MISS_SECONDS` (that lookup, and any arriving meanwhile, wait for the one read): a
lookup on the chat path is a dictionary read. A grant through this process's
:func:`chat_roles` is seen at once; one made by another process (the CLI, another server)
within :data:`MISS_SECONDS`, a revocation there within :data:`REFRESH_SECONDS`.

A grant may be scoped to one of the demo city's districts (``--district``): a form that
asks the district (the screening) then takes it from the grant instead of asking.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

import sqlalchemy as sa

from bot.clock import Clock
from bot.db.database import Database, affected_rows
from bot.db.models.roles import ChatRole
from bot.errors import TongguanError
from bot.roles import STAFF_ROLES
from bot.services.chat_roles_repository import roles_rows
from bot.services.ops.geo import OTHER, district_code, districts

if TYPE_CHECKING:
    from bot.hub import Hub

log = logging.getLogger("tongguan.roles")

REFRESH_SECONDS = 10.0  #: how long a process trusts its copy of the grants
MISS_SECONDS = 1.0  #: how long it trusts that someone it does not list holds no role
NONE: frozenset[str] = frozenset()


class RoleError(TongguanError):
    """A grant or revocation names an unknown role or a malformed user key."""


class ChatRoles:
    """Grant, revoke and look up the staff roles of chat identities."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._roles: dict[str, frozenset[str]] = {}
        self._districts: dict[str, str] = {}  #: user_key → the one district its grants name
        self._read_at = -REFRESH_SECONDS  #: monotonic time of the last read; never read
        self._reading: asyncio.Lock | None = None
        self._rows = roles_rows(db)
        self._background: asyncio.Task[None] | None = None

    async def of(self, user_key: str) -> frozenset[str]:
        """The roles ``user_key`` holds (from this process's copy of the table)."""
        age = time.monotonic() - self._read_at
        if age >= MISS_SECONDS and (user_key not in self._roles or age >= 2 * REFRESH_SECONDS):
            await self._refresh(MISS_SECONDS)  # unknown here (or long unread): ask now
        elif age >= REFRESH_SECONDS and (self._background is None or self._background.done()):
            self._background = asyncio.create_task(self._refresh(REFRESH_SECONDS))
        return self._roles.get(user_key, NONE)

    async def _refresh(self, max_age: float) -> None:
        if self._reading is None:
            self._reading = asyncio.Lock()
        async with self._reading:  # one read at a time; who waited finds it fresh
            if time.monotonic() - self._read_at < max_age:
                return
            held: dict[str, set[str]] = {}
            scoped: dict[str, set[str]] = {}
            for key, role, district in await self._rows.all():
                held.setdefault(key, set()).add(role)
                if district:
                    scoped.setdefault(key, set()).add(district)
            self._roles = {key: frozenset(roles) for key, roles in held.items()}
            # grants naming two districts name none: the form asks
            self._districts = {key: d.pop() for key, d in scoped.items() if len(d) == 1}
            self._read_at = time.monotonic()

    async def district(self, user_key: str) -> str | None:
        """The district ``user_key``'s grants are scoped to (None: not scoped, or to
        several districts), as fresh as :meth:`of`."""
        await self.of(user_key)
        return self._districts.get(user_key)

    def _stale(self) -> None:
        self._read_at = -REFRESH_SECONDS

    async def grant(self, user_key: str, role: str, *, by: str,
                    district: str | None = None) -> bool:
        """Give ``role`` to ``user_key``, scoped to ``district`` (a code or name of the
        demo city's districts) when given; False when it was held already just so.

        Raises:
            RoleError: an unknown role or district, or a malformed user key.
        """
        _check(user_key, role)
        scope = _district(district)
        async with self.db.write() as session:
            row = await session.get(ChatRole, (user_key, role))
            if row is not None:
                if row.district == scope:
                    return False
                row.district, row.granted_by, row.granted_at = scope, by, self.clock.now()
            else:
                session.add(ChatRole(user_key=user_key, role=role, granted_by=by,
                                     granted_at=self.clock.now(), district=scope))
        self._stale()
        log.info("roles.grant role=%s district=%s by=%s", role, scope or "-", by)
        return True

    async def revoke(self, user_key: str, role: str, *, by: str) -> bool:
        """Take ``role`` from ``user_key``; False when it was not held."""
        _check(user_key, role)
        async with self.db.write() as session:
            result = await session.execute(sa.delete(ChatRole).where(
                ChatRole.user_key == user_key, ChatRole.role == role))
        self._stale()
        log.info("roles.revoke role=%s by=%s", role, by)
        return bool(affected_rows(result))

    async def list(self) -> list[ChatRole]:
        async with self.db.sessions() as session:
            return list((await session.scalars(
                sa.select(ChatRole).order_by(ChatRole.user_key, ChatRole.role))).all())


def chat_roles(hub: Hub) -> ChatRoles:
    """The process's one :class:`ChatRoles` (a hub part)."""
    return hub.parts.setdefault(ChatRoles, lambda: ChatRoles(hub.db, hub.clock))


def _district(name: str | None) -> str | None:
    """A grant's district as stored: the code of one of the city's mapped districts."""
    if name is None or not name.strip():
        return None
    code = district_code(name)
    if code == OTHER:
        raise RoleError(f"unknown district {name!r}: one of "
                        + ", ".join(d.code for d in districts() if d.code != OTHER))
    return code


def _check(user_key: str, role: str) -> None:
    if role not in STAFF_ROLES:
        raise RoleError(f"unknown role {role!r}: one of {', '.join(STAFF_ROLES)}")
    channel, _, user = user_key.partition(":")
    if not channel or not user or len(user_key) > 160:
        raise RoleError("a user key is channel:user, e.g. wechat:<openid> or web:<id>")
