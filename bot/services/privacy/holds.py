"""Legal holds: chat identities whose data retention and deletion requests must keep."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot.db.database import affected_rows
from bot.db.models.privacy import LegalHold
from bot.hub import Hub
from bot.services.staff.audit import audit_in


class HoldError(ValueError):
    """A bad user key or reason, or a hold that exists already."""


def _check_key(user_key: str) -> str:
    key = user_key.strip()
    channel, _, user = key.partition(":")
    if not channel or not user or len(key) > 160:
        raise HoldError("a user key is channel:user (e.g. wechat:o6_bmjrPTlm6_2sgVt7hMZOPfL2M)")
    return key


async def place_hold(hub: Hub, user_key: str, reason: str, *, actor: str) -> None:
    """Keep everything of ``user_key`` until the hold is lifted (audited).

    Raises:
        HoldError: bad key or reason, or already held.
    """
    key = _check_key(user_key)
    if not 1 <= len(reason.strip()) <= 300:
        raise HoldError("a reason of 1-300 characters is needed")
    now = hub.clock.now()
    try:
        async with hub.db.write() as session:
            session.add(LegalHold(user_key=key, reason=reason.strip(), placed_by=actor[:120],
                                  created_at=now))
            audit_in(session, now, actor=actor, action="privacy.hold", object=key)
    except IntegrityError as err:
        raise HoldError(f"{key} is already held") from err


async def lift_hold(hub: Hub, user_key: str, *, actor: str) -> bool:
    """Lift the hold on ``user_key`` (audited); False when there was none."""
    key = _check_key(user_key)
    now = hub.clock.now()
    async with hub.db.write() as session:
        result = await session.execute(sa.delete(LegalHold).where(LegalHold.user_key == key))
        if affected_rows(result):
            audit_in(session, now, actor=actor, action="privacy.unhold", object=key)
            return True
    return False


async def list_holds(hub: Hub) -> list[LegalHold]:
    async with hub.db.sessions() as session:
        return list(await session.scalars(sa.select(LegalHold).order_by(LegalHold.id)))
