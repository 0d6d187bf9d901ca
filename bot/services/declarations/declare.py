"""Submitting a declaration and re-applying the rules; no chat concepts here.

Identity data (name, ID number, phone) is sealed before it is stored and never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from bot.db.models.declarations import HealthDeclaration, HealthStatus
from bot.services.declarations.rules import Assessment
from bot.services.declarations.service import Declarations
from bot.services.declarations.store import new_status, subject_for
from codes import mask_name

log = logging.getLogger("tongguan.declarations")

#: Answers kept (sealed) with a declaration so rules can be re-applied.
ANSWER_SLOTS = ("district", "street", "temperature", "symptoms", "travel", "contact",
                "quarantine")


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
    assessment: Assessment
    token: str
    masked_name: str
    revoked: int
    status_id: int


async def declare(svc: Declarations, *, person: Person, answers: Mapping[str, Any],
                  user_key: str, proxy: bool) -> Outcome:
    """Assess, store (sealed), revoke the subject's earlier codes and open a new status."""
    hub = svc.hub
    now = hub.clock.now()
    kept = {k: answers.get(k) for k in ANSWER_SLOTS}
    assessment = svc.rules.assess(kept)
    subject = await subject_for(svc, person.id_number)
    masked = mask_name(person.name)[:32] or "*"
    async with hub.db.write() as session:
        row = HealthDeclaration(
            subject=subject, user_key=user_key, proxy=proxy,
            name=hub.sealer.seal(person.name), id_number=hub.sealer.seal(person.id_number),
            phone=hub.sealer.seal(person.phone) if person.phone else None,
            answers=hub.sealer.seal(kept), color=assessment.color,
            rules_version=assessment.version, created_at=now)
        session.add(row)
        await session.flush()
        status, token, revoked = await new_status(
            svc, subject=subject, owner_key=user_key, color=assessment.color,
            reasons=list(assessment.reasons), masked_name=masked, source="declaration",
            rules_version=assessment.version, declaration_id=row.id, session=session,
            valid_until=now + timedelta(hours=svc.rules.status_hours))
        status_id = status.id
    log.info("declarations.submitted color=%s proxy=%s revoked=%d rules=%s",
             assessment.color, proxy, revoked, assessment.version)
    return Outcome(subject, assessment, token, masked, revoked, status_id)


async def reapply_rules(svc: Declarations) -> dict[str, int]:
    """Re-assess every active declaration status with the current rules.

    A status whose colour or reasons change is replaced (the old one and its codes are
    revoked; the owner's page link changes); others stay. Returns counts.
    """
    hub = svc.hub
    now = hub.clock.now()
    counts = {"checked": 0, "changed": 0}
    async with hub.db.sessions() as session:
        rows = (await session.execute(
            sa.select(HealthStatus, HealthDeclaration.answers)
            .join(HealthDeclaration, HealthDeclaration.id == HealthStatus.declaration_id)
            .where(HealthStatus.active.is_(True), HealthStatus.valid_until > now))).all()
    for status, sealed in rows:
        counts["checked"] += 1
        assessment = svc.rules.assess(hub.sealer.open(sealed))
        if assessment.color == status.color and list(assessment.reasons) == status.reasons:
            continue
        await new_status(svc, subject=status.subject, owner_key=status.owner_key,
                         color=assessment.color, reasons=list(assessment.reasons),
                         masked_name=status.masked_name, source="reapply",
                         rules_version=assessment.version, valid_until=status.valid_until,
                         declaration_id=status.declaration_id)
        counts["changed"] += 1
    log.info("declarations.reapplied checked=%d changed=%d rules=%s", counts["checked"],
             counts["changed"], svc.rules.version)
    return counts


async def set_status(svc: Declarations, *, subject: str, color: str, reason_zh: str,
                     reason_en: str, hours: int | None = None) -> tuple[HealthStatus, int]:
    """An admin sets a subject's colour; earlier codes are revoked. Returns (status, revoked).

    Raises:
        LookupError: no such subject.
    """
    now = svc.hub.clock.now()
    previous = await _any_status(svc, subject)
    if previous is None:
        raise LookupError(subject)
    valid = now + timedelta(hours=hours or svc.rules.status_hours)
    status, _token, revoked = await new_status(
        svc, subject=subject, owner_key=previous.owner_key, color=color,
        reasons=[{"zh": reason_zh, "en": reason_en}], masked_name=previous.masked_name,
        source="admin", rules_version=svc.rules.version, valid_until=valid,
        declaration_id=previous.declaration_id)
    log.info("declarations.status_set color=%s revoked=%d", color, revoked)
    return status, revoked


async def _any_status(svc: Declarations, subject: str) -> HealthStatus | None:
    async with svc.hub.db.sessions() as session:
        return await session.scalar(sa.select(HealthStatus).where(
            HealthStatus.subject == subject).order_by(HealthStatus.id.desc()).limit(1))
