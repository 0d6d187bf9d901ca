"""A resident's deletion request: everything of theirs that nothing requires is removed.

Kept, each with a reason they are told: everything, while a legal hold names them; the
declarations and binding of an ID number under an official status in force; a status
in force or one with a code still valid (checkpoints must see it revoked); an open
handoff, an active reservation, a lottery entry not yet drawn, a filing under review;
the append-only audit records (status, binding and staff audits) and the conversation's
current state. Closed reservations, lottery entries and filings are anonymised (the rows
stay so stock and counts add up). One transaction: all of it or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.core import Conversation, Handoff, OutboxMessage, Profile, Record, Turn
from bot.db.models.declarations import (
    Checkin,
    HealthCode,
    HealthDeclaration,
    HealthStatus,
    HealthSubject,
)
from bot.db.models.filings import Filing
from bot.db.models.handoffs import HandoffMessage
from bot.db.models.privacy import LegalHold, RetentionLog
from bot.db.models.reservations import SupplyRegistration, SupplyReservation
from bot.db.models.trust import BindingAudit, HealthDependant, OfficialStatus
from bot.db.models.wechat import WechatUser
from bot.hub import Hub
from bot.services.filings.catalog import OPEN_STATES
from bot.services.privacy.sweeps import (
    blank_filing,
    blank_registration,
    blank_reservation,
    codes_alive,
    reservation_owner,
    status_in_force,
)
from bot.services.staff.audit import audit_in


@dataclass
class Erasure:
    """What a deletion request removed (counts by kind) and what it kept, and why:
    ``kept`` holds (reason, until) pairs, ``until`` None when no end is known."""

    removed: dict[str, int] = field(default_factory=dict)
    kept: list[tuple[str, datetime | None]] = field(default_factory=list)

    def add(self, kind: str, n: int) -> None:
        if n:
            self.removed[kind] = self.removed.get(kind, 0) + n

    def keep(self, reason: str, until: datetime | None = None) -> None:
        if reason not in {r for r, _ in self.kept}:
            self.kept.append((reason, until))


#: kinds whose rows stay, their person removed
ANONYMISED = frozenset({"reservations", "filings", "bindings", "location"})


class _Rollback(Exception):  # noqa: N818 - control flow of a dry run
    pass


def audit_object(hub: Hub, user_key: str) -> str:
    """How the audit log names a resident: a keyed hash of the chat identity."""
    return "user:" + hub.sealer.blind_index("user_key", user_key)[:16]


async def _rowcount(session: AsyncSession, statement: Any) -> int:
    return int((await session.execute(statement)).rowcount or 0)  # type: ignore[attr-defined]


async def _declarations(session: AsyncSession, user_key: str, now: datetime,
                        out: Erasure) -> list[str]:
    """Declarations and bindings; returns the subjects whose data may go."""
    official = dict((await session.execute(
        sa.select(HealthSubject.subject, sa.func.max(OfficialStatus.valid_until))
        .join(OfficialStatus, OfficialStatus.id_index == HealthSubject.id_index)
        .where(OfficialStatus.valid_until > now,
               sa.or_(HealthSubject.bound_key == user_key, HealthSubject.subject.in_(
                   sa.select(HealthDeclaration.subject)
                   .where(HealthDeclaration.user_key == user_key))))
        .group_by(HealthSubject.subject))).all())
    for until in official.values():
        out.keep("official", until)
    d = HealthDeclaration
    ids = list((await session.scalars(sa.select(d.id).where(
        d.user_key == user_key, d.subject.not_in(official)))).all())
    await session.execute(sa.update(HealthStatus).where(HealthStatus.declaration_id.in_(ids))
                          .values(declaration_id=None))
    out.add("declarations", await _rowcount(session, sa.delete(d).where(d.id.in_(ids))))
    bound = [s for s in (await session.scalars(sa.select(HealthSubject.subject).where(
        HealthSubject.bound_key == user_key))).all() if s not in official]
    if ids or bound:
        out.keep("subject")
    for subject in bound:
        session.add(BindingAudit(at=now, subject=subject, old_key=user_key, new_key="",
                                 actor="resident", reason="deleted at the resident's request"))
    if bound:
        out.keep("audit")
    out.add("bindings", await _rowcount(session, sa.update(HealthSubject).where(
        HealthSubject.subject.in_(bound)).values(bound_key=None, bound_at=None)))
    out.add("checkins", await _rowcount(session, sa.delete(Checkin).where(
        Checkin.subject.in_(bound))))
    out.add("dependants", await _rowcount(session, sa.delete(HealthDependant).where(
        HealthDependant.owner_key == user_key)))
    return bound


async def _statuses(session: AsyncSession, user_key: str, now: datetime, out: Erasure) -> None:
    s = HealthStatus
    mine = sa.and_(s.owner_key == user_key)
    for until in (await session.scalars(sa.select(s.valid_until).where(
            mine, status_in_force(s, now)))).all():
        out.keep("status_in_force", until)
    alive = (await session.execute(sa.select(sa.func.max(HealthCode.expires_at)).where(
        HealthCode.status_id.in_(sa.select(s.id).where(mine, sa.not_(status_in_force(s, now)))),
        HealthCode.expires_at > now))).scalar()
    if alive is not None:
        out.keep("code_alive", alive)
    ids = list((await session.scalars(sa.select(s.id).where(
        mine, sa.not_(status_in_force(s, now)), s.id.not_in(codes_alive(now))))).all())
    await session.execute(sa.delete(HealthCode).where(HealthCode.status_id.in_(ids)))
    out.add("statuses", await _rowcount(session, sa.delete(s).where(s.id.in_(ids))))


async def _chat(session: AsyncSession, hub: Hub, user_key: str, out: Erasure) -> None:
    out.add("records", await _rowcount(session, sa.delete(Record).where(
        Record.user_key == user_key)))
    out.add("profile", await _rowcount(session, sa.delete(Profile).where(
        Profile.user_key == user_key)))
    h = Handoff
    if await session.scalar(sa.select(h.id).where(h.user_key == user_key, h.status != "closed")
                            .limit(1)) is not None:
        out.keep("handoff_open")
    closed = list((await session.scalars(sa.select(h.id).where(
        h.user_key == user_key, h.status == "closed"))).all())
    await session.execute(sa.delete(HandoffMessage).where(HandoffMessage.handoff_id.in_(closed)))
    out.add("handoffs", await _rowcount(session, sa.delete(h).where(h.id.in_(closed))))
    conv = sa.select(Conversation.id).where(Conversation.user_key == user_key)
    out.add("turns", await _rowcount(session, sa.delete(Turn).where(
        Turn.conversation_id.in_(conv))))
    out.keep("conversation")
    channel, _, user_id = user_key.partition(":")
    out.add("messages", await _rowcount(session, sa.delete(OutboxMessage).where(
        OutboxMessage.channel == channel, OutboxMessage.user_id == user_id,
        OutboxMessage.status == "sent")))
    out.add("location", await _rowcount(session, sa.update(WechatUser).where(
        WechatUser.user_key == user_key, WechatUser.last_location.is_not(None))
        .values(last_location=None, location_consent=False)))


async def _supplies_and_filings(session: AsyncSession, hub: Hub, user_key: str,
                                out: Erasure) -> None:
    r, g, f = SupplyReservation, SupplyRegistration, Filing
    active = await session.scalar(sa.select(sa.func.max(r.window_end)).where(
        reservation_owner(r) == user_key, r.status == "active"))
    if active is not None:
        out.keep("reservation_active", active)
    out.add("reservations", await _rowcount(session, sa.update(r).where(
        reservation_owner(r) == user_key, r.status != "active")
        .values(**blank_reservation(hub.sealer))))
    if await session.scalar(sa.select(g.id).where(reservation_owner(g) == user_key,
                                                  g.status == "registered").limit(1)):
        out.keep("registration_pending")
    out.add("reservations", await _rowcount(session, sa.update(g).where(
        reservation_owner(g) == user_key, g.status != "registered")
        .values(**blank_registration(hub.sealer))))
    if await session.scalar(sa.select(f.id).where(f.user_key == user_key,
                                                  f.state.in_(OPEN_STATES)).limit(1)):
        out.keep("filing_open")
    out.add("filings", await _rowcount(session, sa.update(f).where(
        f.user_key == user_key, f.state.not_in(OPEN_STATES)).values(**blank_filing(hub.sealer))))


async def erase_mine(hub: Hub, user_key: str, *, dry_run: bool = False) -> Erasure:
    """Remove what is held about ``user_key`` and nothing requires; ``dry_run``: say what
    would be removed and kept, change nothing."""
    now = hub.clock.now()
    out = Erasure()
    try:
        async with hub.db.write() as session:
            if await session.scalar(sa.select(LegalHold.id)
                                    .where(LegalHold.user_key == user_key)) is not None:
                out.keep("legal_hold")
            else:
                await _declarations(session, user_key, now, out)
                await _statuses(session, user_key, now, out)
                await _chat(session, hub, user_key, out)
                await _supplies_and_filings(session, hub, user_key, out)
            if dry_run:
                raise _Rollback
            for kind, n in sorted(out.removed.items()):
                anonymised = n if kind in ANONYMISED else 0
                session.add(RetentionLog(at=now, run="request", trigger="resident", kind=kind,
                                         deleted=n - anonymised, anonymised=anonymised,
                                         cutoff=None))
            audit_in(session, now, actor="resident", action="privacy.erase",
                     object=audit_object(hub, user_key),
                     detail={"removed": out.removed, "kept": [r for r, _ in out.kept]})
    except _Rollback:
        pass
    return out
