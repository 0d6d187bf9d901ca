"""The append-only staff audit log: every login and every staff action (who, what,
when, on which object). Details never hold identity data (no ID numbers, names,
phones): name the object by its id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.staff import StaffAudit
from bot.hub import Hub


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    object: str
    detail: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(), "actor": self.actor,
                "action": self.action, "object": self.object, "detail": self.detail}


def audit_in(session: AsyncSession, at: datetime, *, actor: str, action: str,
             object: str = "", detail: dict[str, Any] | None = None) -> None:
    """Add an entry inside the caller's transaction (it stands or falls with the action)."""
    session.add(StaffAudit(at=at, actor=actor[:80], action=action[:60], object=object[:120],
                           detail=detail or {}))


async def audit(hub: Hub, *, actor: str, action: str, object: str = "",
                detail: dict[str, Any] | None = None) -> None:
    """Add an entry in a transaction of its own."""
    async with hub.db.write() as session:
        audit_in(session, hub.clock.now(), actor=actor, action=action, object=object,
                 detail=detail)


async def read_audit(hub: Hub, *, limit: int = 100, actor: str | None = None,
                     before: int | None = None) -> list[AuditEntry]:
    """The newest entries first (``before``: ids below this one, for paging)."""
    query = sa.select(StaffAudit).order_by(StaffAudit.id.desc()).limit(limit)
    if actor is not None:
        query = query.where(StaffAudit.actor == actor)
    if before is not None:
        query = query.where(StaffAudit.id < before)
    async with hub.db.sessions() as session:
        rows = (await session.scalars(query)).all()
    return [AuditEntry(r.id, r.at, r.actor, r.action, r.object, dict(r.detail)) for r in rows]
