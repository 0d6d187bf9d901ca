"""Submitting a declaration and re-applying the rules; no chat concepts here.

Identity data (name, ID number, phone) is sealed before it is stored and never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.declarations import HealthDeclaration, HealthStatus, HealthSubject
from bot.services import receipts
from bot.services.declarations.rules import Assessment
from bot.services.declarations.service import Declarations
from bot.services.declarations.store import (
    AuditEntry,
    lock_subject,
    locked_subject_row,
    new_status,
)
from bot.services.declarations.trust import (
    DECLARATION_LOOKUP,
    Decision,
    Found,
    check_and_bind,
    check_register,
    decide,
    official_in_force,
    official_of,
)
from bot.services.ops.clock import day_start
from bot.services.ops.counters import count, declaration_tallies
from codes import mask_name

log = logging.getLogger("tongguan.declarations")

#: Answers kept (sealed) with a declaration so rules can be re-applied.
ANSWER_SLOTS = ("district", "street", "temperature", "symptoms", "travel", "contact",
                "quarantine")
#: ... and kept when answered (the operations view counts declarations by building)
OPTIONAL_SLOTS = ("building",)


@dataclass(frozen=True)
class Person:
    """Whom a declaration is for."""

    name: str
    id_number: str
    phone: str | None


@dataclass(frozen=True)
class Outcome:
    """A stored declaration's result."""

    subject: str
    assessment: Assessment  #: what the rules alone said
    token: str
    masked_name: str
    revoked: int
    status_id: int
    decision: Decision  #: the colour given, and whether an official status decided it


async def declare(svc: Declarations, *, person: Person, answers: Mapping[str, Any],
                  user_key: str, proxy: bool, receipt: str = "") -> Outcome:
    """Check who may declare for whom, assess, store (sealed), revoke the subject's
    earlier codes and open a new status, in one transaction — with, under ``receipt``
    (if any), what :func:`recalled` gives back to a run of the same message again.

    Raises:
        DeclarationRefused: the trust rules refuse it (nothing is stored).
    """
    hub = svc.hub
    now = hub.clock.now()
    kept = {k: answers.get(k) for k in ANSWER_SLOTS}
    kept.update({k: answers[k] for k in OPTIONAL_SLOTS if answers.get(k)})
    rules = svc.rules
    assessment = rules.assess(kept)
    index = hub.sealer.blind_index("id_number", person.id_number)
    masked = mask_name(person.name)[:32] or "*"
    async with hub.db.write() as session:
        row, extra, created = await locked_subject_row(
            session, svc, index, now, query=DECLARATION_LOOKUP,
            params={"user_key": user_key}, bind_new_to=None if proxy else user_key)
        subject, found = row.subject, Found.of(extra)
        check_register(svc, found, person.name)
        await check_and_bind(session, svc, row, found, user_key=user_key, proxy=proxy,
                             now=now, created=created)
        decision = decide(assessment, await official_of(session, found, now), now,
                          rules.status_hours)
        declared = HealthDeclaration(
            subject=subject, user_key=user_key, proxy=proxy,
            name=hub.sealer.seal(person.name), id_number=hub.sealer.seal(person.id_number),
            phone=hub.sealer.seal(person.phone) if person.phone else None,
            answers=hub.sealer.seal(kept), color=assessment.color,
            rules_version=assessment.version, created_at=now)
        session.add(declared)
        await session.flush()
        official = decision.official if decision.held else None
        audit = AuditEntry(
            source=("import" if official.batch else "official") if official
            else ("proxy" if proxy else "self"),
            actor=user_key, batch=official.batch if official else None)
        status, token, revoked = await new_status(
            svc, subject=subject, owner_key=user_key, color=decision.color,
            reasons=decision.reasons, masked_name=masked,
            source="official" if official else "declaration",
            rules_version=assessment.version, declaration_id=declared.id, session=session,
            valid_until=decision.valid_until, audit=audit, proxy=proxy, locked=True,
            district=str(kept.get("district") or ""))
        await count(session, now, *declaration_tallies(
            kept, decision.color, await _earlier_today(session, svc, subject, now)))
        status_id = status.id
        if receipt:
            receipts.remember(session, hub.sealer, receipt, _recallable(
                token, decision), now)
    log.info("declarations.submitted color=%s rules=%s official=%s proxy=%s revoked=%d "
             "rules_version=%s", decision.color, assessment.color,
             decision.official.color if decision.official else "-", proxy, revoked,
             assessment.version)
    return Outcome(subject, assessment, token, masked, revoked, status_id, decision)


async def _earlier_today(session: AsyncSession, svc: Declarations, subject: str,
                         now: datetime) -> dict[str, Any] | None:
    """The answers of the subject's last declaration before this one in the city's day
    (the subject's row is locked, so no other declaration of theirs is being made)."""
    sealed = await session.scalar(
        sa.select(HealthDeclaration.answers)
        .where(HealthDeclaration.subject == subject,
               HealthDeclaration.created_at >= day_start(svc.hub.settings, now))
        .order_by(HealthDeclaration.id.desc()).offset(1).limit(1))
    return None if sealed is None else dict(svc.hub.sealer.open(sealed))


@dataclass(frozen=True)
class Recalled:
    """What a declaration made for a message told the resident, found again when the
    same message runs again (its process died after the declaration was stored)."""

    token: str
    color: str
    #: the official status that decided the colour: (colour, reasons, valid until)
    official: tuple[str, list[dict[str, str]], datetime] | None


def told(outcome: Outcome) -> Recalled:
    """What a declaration just made tells the resident (the shape :func:`recalled` has)."""
    official = outcome.decision.official if outcome.decision.held else None
    return Recalled(outcome.token, outcome.decision.color, None if official is None else (
        official.color, list(official.reasons), official.valid_until))


def _recallable(token: str, decision: Decision) -> dict[str, Any]:
    official = decision.official if decision.held else None
    return {"token": token, "color": decision.color, "official": None if official is None
            else [official.color, list(official.reasons), official.valid_until.isoformat()]}


async def recalled(svc: Declarations, receipt: str) -> Recalled | None:
    """The declaration made under ``receipt`` earlier, if any (see :func:`declare`)."""
    data = await receipts.recall(svc.hub.db, svc.hub.sealer, receipt)
    if data is None:
        return None
    official = data["official"]
    return Recalled(data["token"], data["color"], None if official is None else (
        official[0], official[1], datetime.fromisoformat(official[2])))


async def reapply_rules(svc: Declarations, *, actor: str = "rules") -> dict[str, int]:
    """Re-assess every active status a declaration's rules decided, with the current rules.

    Statuses an official status decided are left alone; an official status in force
    still comes first (:func:`~bot.services.declarations.trust.decide`). A status whose
    colour or reasons change is replaced (the old one and its codes are revoked; the
    owner's page link changes); others stay. Returns counts.
    """
    hub = svc.hub
    now = hub.clock.now()
    rules = svc.rules
    counts = {"checked": 0, "changed": 0}
    async with hub.db.sessions() as session:
        rows = (await session.execute(
            sa.select(HealthStatus, HealthDeclaration.answers, HealthSubject.id_index)
            .join(HealthDeclaration, HealthDeclaration.id == HealthStatus.declaration_id)
            .join(HealthSubject, HealthSubject.subject == HealthStatus.subject)
            .where(HealthStatus.active.is_(True), HealthStatus.valid_until > now,
                   HealthStatus.source.in_(("declaration", "reapply"))))).all()
    for status, sealed, index in rows:
        counts["checked"] += 1
        assessment = rules.assess(hub.sealer.open(sealed))
        async with hub.db.write() as session:
            await lock_subject(session, status.subject)
            current = await session.get(HealthStatus, status.id, populate_existing=True)
            if current is None or not current.active:
                continue  # replaced meanwhile
            decision = decide(assessment, await official_in_force(session, index, now), now,
                              rules.status_hours)
            if decision.color == status.color and decision.reasons == status.reasons:
                continue
            await new_status(svc, subject=status.subject, owner_key=status.owner_key,
                             color=decision.color, reasons=decision.reasons,
                             masked_name=status.masked_name,
                             source="official" if decision.held else "reapply",
                             rules_version=assessment.version,
                             valid_until=min(status.valid_until, decision.valid_until),
                             declaration_id=status.declaration_id, proxy=status.proxy,
                             audit=AuditEntry("rules", actor), session=session, locked=True)
        counts["changed"] += 1
    log.info("declarations.reapplied checked=%d changed=%d rules=%s", counts["checked"],
             counts["changed"], rules.version)
    return counts


async def _any_status(svc: Declarations, subject: str) -> HealthStatus | None:
    async with svc.hub.db.sessions() as session:
        return await session.scalar(sa.select(HealthStatus).where(
            HealthStatus.subject == subject).order_by(HealthStatus.id.desc()).limit(1))
