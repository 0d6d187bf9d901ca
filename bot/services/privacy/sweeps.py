"""What retention removes for each kind of data: which rows are due, and how.

A :class:`Sweep` names its table, the condition that makes a row due (older than the
cut-off and not kept for a reason: in force, under an official status, on a legal hold,
still open), and whether due rows are deleted or anonymised (identity removed, the row
kept so counts and stock still add up). The operations view never reads these tables
(its counts are in ``ops_counts`` / ``ops_events``), so nothing here changes a count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.db.models.core import Conversation, Handoff, Record, Turn
from bot.db.models.declarations import (
    Checkin,
    HealthCode,
    HealthDeclaration,
    HealthStatus,
    HealthSubject,
)
from bot.db.models.filings import Filing
from bot.db.models.handoffs import HandoffMessage
from bot.db.models.privacy import LegalHold
from bot.db.models.reservations import SupplyRegistration, SupplyReservation
from bot.db.models.staff import StaffAudit
from bot.db.models.trust import OfficialStatus
from bot.privacy import Sealer
from bot.services.filings.catalog import OPEN_STATES

#: ``(cutoff, now) -> condition`` on the sweep's table
Due = Callable[[datetime, datetime], ColumnElement[bool]]
#: ``(sealer) -> values`` an anonymised row gets (an UPDATE's SET)
Blank = Callable[[Sealer], dict[str, Any]]
#: ``(session, ids)``: what to do before the rows go (children, references)
Before = Callable[[AsyncSession, list[int]], Any]


@dataclass(frozen=True)
class Sweep:
    """One table of one kind of data."""

    kind: str
    model: Any
    due: Due
    blank: Blank | None = None  #: None: due rows are deleted
    before: tuple[Before, ...] = field(default_factory=tuple)
    unlock: bool = False  #: an append-only table: delete under a ``retention_unlock`` row

    @property
    def table(self) -> Any:
        return self.model.__table__


def not_held(owner: Any) -> ColumnElement[bool]:
    """The row's chat identity is not under a legal hold."""
    return owner.not_in(sa.select(LegalHold.user_key))


def official_in_force(now: datetime) -> sa.Select[Any]:
    """Subjects (pseudonymous) with an official status still in force."""
    return (sa.select(HealthSubject.subject)
            .join(OfficialStatus, OfficialStatus.id_index == HealthSubject.id_index)
            .where(OfficialStatus.valid_until > now))


def status_in_force(status: Any, now: datetime) -> ColumnElement[bool]:
    return sa.and_(status.active.is_(True), status.valid_until > now)


def codes_alive(now: datetime) -> sa.Select[Any]:
    """Statuses with a code not yet expired (revoked or not: checkpoints must still be
    able to tell it was revoked)."""
    return sa.select(HealthCode.status_id).where(HealthCode.expires_at > now)


def _declarations_due(cutoff: datetime, now: datetime) -> ColumnElement[bool]:
    d = HealthDeclaration
    active = sa.select(HealthStatus.declaration_id).where(
        status_in_force(HealthStatus, now), HealthStatus.declaration_id.is_not(None))
    return sa.and_(d.created_at < cutoff, not_held(d.user_key),
                   d.subject.not_in(official_in_force(now)), d.id.not_in(active))


async def _unlink_declarations(session: AsyncSession, ids: list[int]) -> None:
    await session.execute(sa.update(HealthStatus).where(HealthStatus.declaration_id.in_(ids))
                          .values(declaration_id=None))


def _statuses_due(cutoff: datetime, now: datetime) -> ColumnElement[bool]:
    s = HealthStatus
    ended = sa.func.coalesce(s.revoked_at, s.valid_until)
    return sa.and_(ended < cutoff, sa.not_(status_in_force(s, now)), not_held(s.owner_key),
                   s.id.not_in(codes_alive(now)))


async def _delete_codes(session: AsyncSession, ids: list[int]) -> None:
    await session.execute(sa.delete(HealthCode).where(HealthCode.status_id.in_(ids)))


async def _delete_threads(session: AsyncSession, ids: list[int]) -> None:
    await session.execute(sa.delete(HandoffMessage).where(HandoffMessage.handoff_id.in_(ids)))


def _turns_due(cutoff: datetime, now: datetime) -> ColumnElement[bool]:
    held = sa.select(Conversation.id).where(
        Conversation.user_key.in_(sa.select(LegalHold.user_key)))
    return sa.and_(Turn.at < cutoff, Turn.conversation_id.not_in(held))


def reservation_owner(model: Any) -> Any:
    return model.channel + ":" + model.user_id


def _reservations_due(cutoff: datetime, now: datetime) -> ColumnElement[bool]:
    r = SupplyReservation
    return sa.and_(r.status != "active", sa.func.coalesce(r.closed_at, r.created_at) < cutoff,
                   r.user_id != "", not_held(reservation_owner(r)))


def blank_reservation(sealer: Sealer) -> dict[str, Any]:
    return {"name_sealed": sealer.seal(""), "code_sealed": sealer.seal(""), "user_id": "",
            "person_key": "anon", "account_key": "anon"}


def _registrations_due(cutoff: datetime, now: datetime) -> ColumnElement[bool]:
    r = SupplyRegistration
    return sa.and_(r.status != "registered", r.created_at < cutoff, r.user_id != "",
                   not_held(reservation_owner(r)))


def blank_registration(sealer: Sealer) -> dict[str, Any]:
    r = SupplyRegistration
    return {"name_sealed": sealer.seal(""), "user_id": "", "account_key": "anon",
            "person_key": "anon:" + sa.cast(r.id, sa.String)}


def _filings_due(cutoff: datetime, now: datetime) -> ColumnElement[bool]:
    f = Filing
    return sa.and_(f.state.not_in(OPEN_STATES), f.updated_at < cutoff, f.user_key != "",
                   not_held(f.user_key))


def blank_filing(sealer: Sealer) -> dict[str, Any]:
    return {"private": sealer.seal({}, context=b"filing"), "user_key": ""}


SWEEPS: tuple[Sweep, ...] = (
    Sweep("declarations", HealthDeclaration, _declarations_due,
          before=(_unlink_declarations,)),
    Sweep("statuses", HealthStatus, _statuses_due, before=(_delete_codes,)),
    Sweep("turns", Turn, _turns_due),
    Sweep("handoffs", Handoff, lambda cutoff, now: sa.and_(
        Handoff.status == "closed",
        sa.func.coalesce(Handoff.closed_at, Handoff.created_at) < cutoff,
        not_held(Handoff.user_key)), before=(_delete_threads,)),
    Sweep("records", Record, lambda cutoff, now: sa.and_(Record.created_at < cutoff,
                                                         not_held(Record.user_key))),
    Sweep("reservations", SupplyReservation, _reservations_due, blank=blank_reservation),
    Sweep("reservations", SupplyRegistration, _registrations_due, blank=blank_registration),
    Sweep("checkins", Checkin, lambda cutoff, now: Checkin.scanned_at < cutoff),
    Sweep("audit", StaffAudit, lambda cutoff, now: StaffAudit.at < cutoff, unlock=True),
    Sweep("filings", Filing, _filings_due, blank=blank_filing),
)
