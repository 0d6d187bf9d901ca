"""Subjects, statuses and issued codes in the database.

A new status for a subject revokes its earlier statuses and every code issued under
them, in one transaction, with the subject's row locked (PostgreSQL) so two declarations
at once cannot leave two active statuses.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.database import affected_rows
from bot.db.models.declarations import HealthCode, HealthStatus, HealthSubject
from bot.db.models.trust import StatusAudit
from bot.privacy import token_hash
from bot.services.declarations.service import Declarations
from bot.services.ops.counters import count, status_tallies
from codes import CLOCK_SKEW_LEEWAY

SUBJECT_BYTES = 9  #: 12 URL-safe characters: keeps a live code at QR version 11
TOKEN_BYTES = 32


def new_subject() -> str:
    """A fresh pseudonymous subject id: :data:`SUBJECT_BYTES` of ``token_urlsafe`` that
    never begins with ``-`` (an operator pastes it into ``tongguan declarations history
    SUBJECT``, where a leading dash reads as an option). Drawn again rather than edited,
    so every allowed id stays equally likely."""
    while (subject := secrets.token_urlsafe(SUBJECT_BYTES)).startswith("-"):
        pass
    return subject


#: the subject row of an ID's blind index (``:id_index``), locked (see :func:`lock_subject`)
SUBJECT_FOR_UPDATE = (sa.select(HealthSubject)
                      .where(HealthSubject.id_index == sa.bindparam("id_index"))
                      .with_for_update(of=HealthSubject))


async def locked_subject_row(session: AsyncSession, svc: Declarations, id_index: str,
                             now: datetime, *, query: sa.Select = SUBJECT_FOR_UPDATE,
                             params: dict[str, Any] | None = None,
                             bind_new_to: str | None = None
                             ) -> tuple[HealthSubject, tuple[Any, ...], bool]:
    """The subject row of an ID number's blind index, created if new, locked until the
    transaction ends, with whatever else ``query`` reads in the same statement (a
    :data:`SUBJECT_FOR_UPDATE` with more columns; ``params`` besides ``id_index``), and
    whether this call created it. Created inside the caller's transaction (a declaration
    that is refused leaves no subject behind), bound to ``bind_new_to`` when given."""
    values = {"id_index": id_index, **(params or {})}
    found = (await session.execute(query, values)).first()
    created = False
    if found is None:
        done = await session.execute(svc.repo.insert(HealthSubject).values(
            subject=new_subject(), id_index=id_index, created_at=now,
            bound_key=bind_new_to, bound_at=now if bind_new_to else None)
            .on_conflict_do_nothing(index_elements=["id_index"]))
        created = bool(affected_rows(done))
        found = (await session.execute(query, values)).first()  # ours, or one made meanwhile
    assert found is not None
    return found[0], tuple(found[1:]), created


async def revoke_subject(session: AsyncSession, subject: str, now: datetime) -> int:
    """Revoke every active status of ``subject`` and its codes; returns how many.

    ``now`` (the statuses' ``revoked_at``) must be read after :func:`lock_subject`: a
    live code signed before the lock was taken then falls in a time slot up to
    ``revoked_at``, which the revocation list names
    (:func:`bot.services.health_codes.revoked_live_code_ids`)."""
    return (await _revoke(session, subject, now))[0]


async def _revoke(session: AsyncSession, subject: str, now: datetime) -> tuple[int, str | None]:
    """Revoke as :func:`revoke_subject`; also the colour in force until now (or None)."""
    rows = (await session.execute(sa.select(
        HealthStatus.id, HealthStatus.color, HealthStatus.valid_until).where(
        HealthStatus.subject == subject, HealthStatus.active.is_(True))
        .order_by(HealthStatus.id.desc()))).all()
    if not rows:
        return 0, None
    ids = [r.id for r in rows]
    await session.execute(sa.update(HealthStatus).where(HealthStatus.id.in_(ids))
                          .values(active=False, revoked_at=now))
    await session.execute(sa.update(HealthCode).where(HealthCode.status_id.in_(ids))
                          .values(revoked=True))
    return len(ids), rows[0].color if rows[0].valid_until > now else None


@dataclass(frozen=True)
class AuditEntry:
    """Who and what changed a status, for ``status_audit``."""

    source: str  #: official, import, rules, self or proxy
    actor: str  #: staff account, ``cli:<os user>`` or the declaring channel identity
    batch: str | None = None  #: the import batch, for list statuses


async def lock_subject(session: AsyncSession, subject: str) -> HealthSubject | None:
    """The subject's row, locked until the transaction ends (PostgreSQL; SQLite's
    ``BEGIN IMMEDIATE`` already serialises writers). Every writer of a subject's status
    or binding takes this lock first, so they never deadlock one another."""
    return await session.scalar(sa.select(HealthSubject).where(HealthSubject.subject == subject)
                                .with_for_update())


async def new_status(svc: Declarations, *, subject: str, owner_key: str, color: str,
                     reasons: list[dict[str, str]], masked_name: str, source: str,
                     rules_version: str, valid_until: datetime, audit: AuditEntry,
                     declaration_id: int | None = None, proxy: bool = False,
                     session: AsyncSession | None = None, locked: bool = False,
                     district: str = "") -> tuple[HealthStatus, str, int]:
    """Make ``subject``'s new active status; returns (status, page token, revoked count).

    The change (old → new colour) is written to the append-only ``status_audit`` in the
    same transaction, and counted for the operations view (under ``district`` when the
    caller knows it). ``locked``: the caller already holds :func:`lock_subject`.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)

    async def work(s: AsyncSession) -> tuple[HealthStatus, str, int]:
        if not locked:
            await lock_subject(s, subject)
        now = svc.hub.clock.now()  # after the lock (see revoke_subject)
        revoked, old = await _revoke(s, subject, now)
        status = HealthStatus(subject=subject, owner_key=owner_key, token_hash=token_hash(token),
                              color=color, reasons=list(reasons), masked_name=masked_name,
                              source=source, rules_version=rules_version, active=True,
                              issued_at=now, valid_until=valid_until,
                              declaration_id=declaration_id, proxy=proxy)
        s.add(status)
        s.add(StatusAudit(at=now, subject=subject, old_color=old, new_color=color,
                          source=audit.source, batch=audit.batch, actor=audit.actor[:160],
                          reasons=list(reasons)))
        await count(s, now, *status_tallies(district, revoked))
        await s.flush()
        return status, token, revoked

    if session is not None:
        return await work(session)
    async with svc.hub.db.write() as s:
        return await work(s)


async def status_by_token(svc: Declarations, token: str) -> HealthStatus | None:
    if not token or len(token) > 100:
        return None
    async with svc.hub.db.sessions() as session:
        return await session.scalar(sa.select(HealthStatus)
                                    .where(HealthStatus.token_hash == token_hash(token)))


async def latest_status(svc: Declarations, *, owner_key: str | None = None,
                        subject: str | None = None) -> list[HealthStatus]:
    """Newest status per subject (of an owner, or of one subject), newest first."""
    query = sa.select(HealthStatus).order_by(HealthStatus.id.desc())
    if owner_key is not None:
        query = query.where(HealthStatus.owner_key == owner_key)
    if subject is not None:
        query = query.where(HealthStatus.subject == subject)
    async with svc.hub.db.sessions() as session:
        rows = (await session.scalars(query.limit(50))).all()
    seen: dict[str, HealthStatus] = {}
    for row in rows:
        seen.setdefault(row.subject, row)
    return list(seen.values())


async def new_token(svc: Declarations, status_id: int) -> str:
    """Give a status a fresh page token (only the hash is kept; the old link dies)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    async with svc.hub.db.sessions.begin() as session:
        await session.execute(sa.update(HealthStatus).where(HealthStatus.id == status_id)
                              .values(token_hash=token_hash(token)))
    return token


def status_state(status: HealthStatus, now: datetime) -> str:
    """``active``, ``revoked`` or ``expired``."""
    if not status.active:
        return "revoked"
    return "expired" if status.valid_until <= now else "active"


async def revoked_code_ids(svc: Declarations) -> list[bytes]:
    """Revoked code ids that could still pass the expiry check."""
    since = svc.hub.clock.now() - CLOCK_SKEW_LEEWAY
    async with svc.hub.db.sessions() as session:
        return list((await session.scalars(sa.select(HealthCode.code_id).where(
            HealthCode.revoked.is_(True), HealthCode.expires_at > since))).all())


def status_json(status: HealthStatus, now: datetime) -> dict[str, Any]:
    return {"subject": status.subject, "color": status.color, "reasons": status.reasons,
            "masked_name": status.masked_name, "state": status_state(status, now),
            "source": status.source, "proxy": bool(status.proxy),
            "issued_at": status.issued_at.isoformat(),
            "valid_until": status.valid_until.isoformat()}
