"""Who may declare for whom, and which source of a status wins.

- A "for myself" declaration binds the ID number (its subject) to the declaring channel
  identity (``channel:user_id``). Another identity declaring "for myself" with that ID
  is refused; a community worker re-binds after checking papers (:func:`rebind`,
  audited in ``binding_audit``). One identity is "myself" for one ID number.
- A proxy (family / 代报) declares for at most ``declarations.max_dependants`` people,
  and never for a person bound to their own account.
- With a resident register loaded, the declared name must match the register's.
- Official statuses (an officer, a list) come before the rules: see :func:`decide`.

Every function that writes takes the subject's row lock first
(:func:`~bot.services.declarations.store.lock_subject`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.models.declarations import HealthStatus, HealthSubject
from bot.db.models.trust import (
    BindingAudit,
    HealthDependant,
    OfficialStatus,
    Resident,
    StatusAudit,
)
from bot.errors import TongguanError
from bot.services.declarations.identity import id_problem, normalize_name
from bot.services.declarations.rules import COLORS, Assessment
from bot.services.declarations.service import Declarations
from bot.services.declarations.store import SUBJECT_FOR_UPDATE, lock_subject, revoke_subject
from bot.services.declarations.texts import REFUSALS

log = logging.getLogger("tongguan.declarations")

USER_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,19}:[^\s:][^\s]{0,139}$")


class DeclarationRefused(TongguanError):
    """A declaration the trust rules refuse; ``zh`` / ``en`` tell the resident the way out."""

    def __init__(self, code: str, *, limit: int = 0, account: str = "") -> None:
        zh, en = REFUSALS[code]
        self.code = code
        self.zh = zh.format(n=limit, account=account)
        self.en = en.format(n=limit, account=account)
        super().__init__(self.en)


class TrustError(TongguanError):
    """A staff command the trust rules refuse (unknown ID, bad account key, …)."""


# -- what a declaration needs to know, read with the subject's row lock -----------------
@dataclass(frozen=True)
class Found:
    """Read in the statement that locks the subject (:data:`DECLARATION_LOOKUP`)."""

    register_name: bytes | None = None  #: sealed name on the resident register
    official_id: int | None = None  #: the ID's newest official status
    #: another subject (not this ID's) bound to the declaring account as "myself"
    account_subject_id: int | None = None

    @classmethod
    def of(cls, values: Sequence[object]) -> Found:
        return cls(*values)  # type: ignore[arg-type]  # none: a plain subject lock


def _declaration_lookup() -> sa.Select:
    other = aliased(HealthSubject)
    index: sa.BindParameter[str] = sa.bindparam("id_index")
    return (SUBJECT_FOR_UPDATE.add_columns(
        sa.select(Resident.name).where(Resident.id_index == index).scalar_subquery(),
        sa.select(sa.func.max(OfficialStatus.id))
        .where(OfficialStatus.id_index == index).scalar_subquery(),
        sa.select(other.id).where(other.bound_key == sa.bindparam("user_key"),
                                  other.id_index != index).limit(1).scalar_subquery()))


#: :data:`~bot.services.declarations.store.SUBJECT_FOR_UPDATE` reading :class:`Found` too
#: (``:id_index``, ``:user_key``): one round trip instead of three, built once
DECLARATION_LOOKUP = _declaration_lookup()


def check_register(svc: Declarations, found: Found, name: str) -> None:
    """With the ID on the register, the name must match it (normalised).

    Raises:
        DeclarationRefused: ``name_mismatch``.
    """
    sealed = found.register_name
    if sealed is not None and normalize_name(svc.hub.sealer.open(sealed)) != normalize_name(name):
        raise _refused("name_mismatch")


async def check_and_bind(session: AsyncSession, svc: Declarations, row: HealthSubject,
                         found: Found, *, user_key: str, proxy: bool, now: datetime,
                         created: bool = False,
                         reason: str = "first declaration for myself") -> None:
    """Apply the binding rules for a declaration by ``user_key`` (row locked by the caller;
    ``created``: the caller made the row just now, bound to ``user_key`` if not a proxy;
    ``reason``: what the binding audit says bound it).

    Raises:
        DeclarationRefused: the declaration must not go ahead (nothing is written).
    """
    if created and not proxy and row.bound_key == user_key:  # bound as it was made
        if found.account_subject_id is not None:
            raise _refused("other_self")
        session.add(BindingAudit(at=now, subject=row.subject, old_key=None, new_key=user_key,
                                 actor=user_key, reason=reason))
        return
    if proxy:
        if row.bound_key == user_key:
            raise _refused("proxy_self")
        if row.bound_key is not None:
            raise _refused("proxy_bound")
        await _add_dependant(session, svc, user_key, row.subject, now)
        return
    if row.bound_key == user_key:
        return
    if row.bound_key is not None:
        raise _refused("bound_elsewhere", account=user_key)
    if found.account_subject_id is not None:
        raise _refused("other_self")
    row.bound_key, row.bound_at = user_key, now
    session.add(BindingAudit(at=now, subject=row.subject, old_key=None, new_key=user_key,
                             actor=user_key, reason=reason))


async def official_of(session: AsyncSession, found: Found,
                      now: datetime) -> OfficialStatus | None:
    """The official status in force, from what :data:`DECLARATION_LOOKUP` found."""
    if found.official_id is None:
        return None
    row = await session.get(OfficialStatus, found.official_id)
    return row if row is not None and row.valid_from <= now < row.valid_until else None


def _refused(code: str, limit: int = 0, account: str = "") -> DeclarationRefused:
    log.info("declarations.refused reason=%s", code)
    return DeclarationRefused(code, limit=limit, account=account)


async def _add_dependant(session: AsyncSession, svc: Declarations, owner: str, subject: str,
                         now: datetime) -> None:
    known = await session.scalar(sa.select(HealthDependant.id).where(
        HealthDependant.owner_key == owner, HealthDependant.subject == subject))
    if known is not None:
        return
    limit = svc.hub.settings.declarations.max_dependants
    # people bound to an account of their own since no longer take a place
    count = await session.scalar(
        sa.select(sa.func.count()).select_from(HealthDependant)
        .join(HealthSubject, HealthSubject.subject == HealthDependant.subject)
        .where(HealthDependant.owner_key == owner,
               sa.or_(HealthSubject.bound_key.is_(None), HealthSubject.bound_key == owner)))
    if (count or 0) >= limit:
        raise _refused("too_many_dependants", limit)
    session.add(HealthDependant(owner_key=owner, subject=subject, created_at=now))


async def rebind(svc: Declarations, *, id_number: str, to_key: str, reason: str,
                 actor: str) -> dict[str, object]:
    """A community worker moves an ID's binding to ``to_key`` after checking papers.

    The subject's current statuses and codes are revoked (they were declared from the
    old account): the resident declares again from the new one. Audited.

    Raises:
        TrustError: bad ID / key / reason, the ID never declared, or ``to_key`` is
        already "myself" for another ID.
    """
    value, problem = id_problem(id_number)
    if value is None:
        raise TrustError(f"ID number: {problem}")
    if not USER_KEY.match(to_key):
        raise TrustError("--to must be a channel identity like web:abc123 or wechat:OPENID")
    reason = " ".join(reason.split())
    if not 4 <= len(reason) <= 300:
        raise TrustError("--reason: say why, 4-300 characters (e.g. which papers were seen)")
    hub = svc.hub
    index = hub.sealer.blind_index("id_number", value)
    async with hub.db.write() as session:
        subject = await session.scalar(sa.select(HealthSubject.subject)
                                       .where(HealthSubject.id_index == index))
        if subject is None:
            raise TrustError("nobody has declared with this ID number yet: nothing to re-bind")
        row = await lock_subject(session, subject)
        assert row is not None  # subjects are never deleted
        now = hub.clock.now()  # after the lock: see store.revoke_subject
        other = await session.scalar(sa.select(HealthSubject.subject).where(
            HealthSubject.bound_key == to_key, HealthSubject.id != row.id).limit(1))
        if other is not None:
            raise TrustError(f"{to_key} is already bound to subject {other}; re-bind that "
                             "one elsewhere first")
        old_key = row.bound_key
        old_color = await session.scalar(sa.select(HealthStatus.color).where(
            HealthStatus.subject == subject, HealthStatus.active.is_(True),
            HealthStatus.valid_until > now).order_by(HealthStatus.id.desc()).limit(1))
        revoked = await revoke_subject(session, subject, now)
        row.bound_key, row.bound_at = to_key, now
        session.add(BindingAudit(at=now, subject=subject, old_key=old_key, new_key=to_key,
                                 actor=actor[:160], reason=reason))
        if old_color is not None:
            session.add(StatusAudit(
                at=now, subject=subject, old_color=old_color, new_color="none",
                source="official", actor=actor[:160],
                reasons=[{"zh": "重新绑定账号，需重新申报", "en": "re-bound; declare again"}]))
    log.info("declarations.rebound subject=%s revoked=%d", subject, revoked)
    return {"subject": subject, "from": old_key, "to": to_key, "revoked": revoked}


# -- official statuses ------------------------------------------------------------------
async def official_in_force(session: AsyncSession, id_index: str,
                            now: datetime) -> OfficialStatus | None:
    """The newest official status of an ID, if it has begun and not ended."""
    row = await session.scalar(sa.select(OfficialStatus)
                               .where(OfficialStatus.id_index == id_index)
                               .order_by(OfficialStatus.id.desc()).limit(1))
    if row is None or not row.valid_from <= now < row.valid_until:
        return None
    return row


async def official_for_subject(svc: Declarations, subject: str) -> OfficialStatus | None:
    now = svc.hub.clock.now()
    async with svc.hub.db.sessions() as session:
        index = await session.scalar(sa.select(HealthSubject.id_index)
                                     .where(HealthSubject.subject == subject))
        return None if index is None else await official_in_force(session, index, now)


@dataclass(frozen=True)
class Decision:
    """The colour a declaration ends with, and which source decided it."""

    color: str
    reasons: list[dict[str, str]]
    valid_until: datetime
    official: OfficialStatus | None  #: the official status in force, if any
    held: bool  #: the official status decided (the rules alone would not be stricter)


def decide(assessment: Assessment, official: OfficialStatus | None, now: datetime,
           status_hours: int) -> Decision:
    """Official over rules: a declaration may raise an official colour, never lower it
    before the official status ends.

    With an official status in force at least as strict as the rules' colour, the result
    is the official colour with its reasons (then the rules' own), valid until the end
    of the official status or of a declaration, whichever is first. Otherwise the rules'
    colour (then the official reasons, unless the official colour is green).
    """
    until = now + timedelta(hours=status_hours)
    rules_reasons = list(assessment.reasons)
    if official is None:
        return Decision(assessment.color, rules_reasons, until, None, False)
    official_reasons = list(official.reasons)
    if COLORS.index(official.color) >= COLORS.index(assessment.color):
        return Decision(official.color, _merge(official_reasons, rules_reasons),
                        min(until, official.valid_until), official, True)
    extra = official_reasons if official.color != "green" else []
    return Decision(assessment.color, _merge(rules_reasons, extra), until, official, False)


def _merge(first: Sequence[dict[str, str]], then: Sequence[dict[str, str]]
           ) -> list[dict[str, str]]:
    out = list(first)
    out += [r for r in then if r not in out]
    return out


# -- history --------------------------------------------------------------------------
async def history(svc: Declarations, subject: str) -> list[dict[str, object]]:
    """Every status change and binding change of ``subject``, oldest first."""
    async with svc.hub.db.sessions() as session:
        statuses = (await session.scalars(sa.select(StatusAudit).where(
            StatusAudit.subject == subject).order_by(StatusAudit.id))).all()
        bindings = (await session.scalars(sa.select(BindingAudit).where(
            BindingAudit.subject == subject).order_by(BindingAudit.id))).all()
    rows: list[dict[str, object]] = [
        {"at": a.at, "kind": "status", "old": a.old_color, "new": a.new_color,
         "source": a.source, "batch": a.batch, "actor": a.actor, "reasons": a.reasons}
        for a in statuses]
    rows += [{"at": b.at, "kind": "binding", "old": b.old_key, "new": b.new_key,
              "source": "binding", "batch": None, "actor": b.actor,
              "reasons": [{"zh": b.reason, "en": b.reason}]} for b in bindings]
    rows.sort(key=lambda r: cast(datetime, r["at"]))
    return rows
