"""What is held about one chat identity (``channel:user``), read for them alone.

Every query is filtered by the asker's own key: their declarations, the statuses they
own, the ID numbers bound to them, their reservations, filings, records, handoffs,
profile and chat log. Sealed fields are opened here, for the summary shown to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.db.models.core import Conversation, Handoff, Profile, Record, Turn
from bot.db.models.declarations import HealthDeclaration, HealthStatus, HealthSubject
from bot.db.models.filings import Filing
from bot.db.models.privacy import LegalHold
from bot.db.models.reservations import SupplyRegistration, SupplyReservation
from bot.db.models.trust import HealthDependant
from bot.hub import Hub
from bot.services.privacy.sweeps import reservation_owner


@dataclass
class Binding:
    subject: str
    name: str  #: opened from the newest declaration
    id_number: str  #: masked: first 3 and last 4 characters


@dataclass
class MyData:
    """A summary of what is held about one chat identity."""

    declarations: int = 0
    last_declared: datetime | None = None
    status: tuple[str, str, datetime] | None = None  #: colour, source, valid until
    bindings: list[Binding] = field(default_factory=list)
    dependants: int = 0
    reservations: dict[str, int] = field(default_factory=dict)  #: by status
    registrations: int = 0
    filings: list[tuple[str, str]] = field(default_factory=list)  #: firm, state
    records: dict[str, int] = field(default_factory=dict)  #: by flow
    handoffs: int = 0
    profile_fields: list[str] = field(default_factory=list)
    turns: int = 0
    held: bool = False


def mask_id(value: str) -> str:
    return value[:3] + "*" * max(len(value) - 7, 0) + value[-4:] if len(value) > 7 else "***"


async def _count(session: Any, query: Any) -> int:
    return int(await session.scalar(query) or 0)


async def my_data(hub: Hub, user_key: str) -> MyData:
    """What is held about ``user_key``; nothing of anyone else."""
    out = MyData()
    d, s = HealthDeclaration, HealthStatus
    async with hub.db.sessions() as session:
        out.held = await session.scalar(
            sa.select(LegalHold.id).where(LegalHold.user_key == user_key)) is not None
        row = (await session.execute(sa.select(sa.func.count(), sa.func.max(d.created_at))
                                     .where(d.user_key == user_key))).one()
        out.declarations, out.last_declared = int(row[0]), row[1]
        status = await session.scalar(sa.select(s).where(s.owner_key == user_key,
                                                         s.active.is_(True))
                                      .order_by(s.id.desc()).limit(1))
        if status is not None:
            out.status = (status.color, status.source, status.valid_until)
        subjects = (await session.scalars(sa.select(HealthSubject.subject).where(
            HealthSubject.bound_key == user_key).order_by(HealthSubject.id))).all()
        for subject in subjects:
            newest = await session.scalar(sa.select(d).where(
                d.subject == subject, d.user_key == user_key).order_by(d.id.desc()).limit(1))
            if newest is not None:
                out.bindings.append(Binding(subject, hub.sealer.open(newest.name),
                                            mask_id(hub.sealer.open(newest.id_number))))
        out.dependants = await _count(session, sa.select(sa.func.count()).where(
            HealthDependant.owner_key == user_key))
        r = SupplyReservation
        for state, n in (await session.execute(
                sa.select(r.status, sa.func.count()).where(reservation_owner(r) == user_key)
                .group_by(r.status))).all():
            out.reservations[state] = int(n)
        out.registrations = await _count(session, sa.select(sa.func.count()).where(
            reservation_owner(SupplyRegistration) == user_key))
        out.filings = [(f, st) for f, st in (await session.execute(
            sa.select(Filing.firm_name, Filing.state).where(Filing.user_key == user_key)
            .order_by(Filing.id))).all()]
        for flow, n in (await session.execute(
                sa.select(Record.flow_id, sa.func.count()).where(Record.user_key == user_key)
                .group_by(Record.flow_id))).all():
            out.records[flow] = int(n)
        out.handoffs = await _count(session, sa.select(sa.func.count()).where(
            Handoff.user_key == user_key))
        profile = await session.scalar(sa.select(Profile).where(Profile.user_key == user_key))
        if profile is not None and profile.data:
            out.profile_fields = sorted(hub.sealer.open(profile.data,
                                                        context=user_key.encode()))
        out.turns = await _count(session, sa.select(sa.func.count()).select_from(Turn).join(
            Conversation, Conversation.id == Turn.conversation_id).where(
            Conversation.user_key == user_key))
    return out
