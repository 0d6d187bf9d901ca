"""Tables of the health-status trust model: official statuses, dependants, the resident
register and the two append-only audit logs.

As in :mod:`bot.db.models.declarations`, identity data is never stored in clear: an ID
number appears only as its keyed blind index (``id_index``), names and buildings sealed.
``status_audit``, ``binding_audit`` and ``official_statuses`` are append-only: no code
updates or deletes their rows, and triggers (migration ``0007_trust``) refuse it on
SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class OfficialStatus(Base):
    """A colour set by a health officer (singly or by list) for one ID number.

    Keyed by the ID's blind index, so a list can name people who never declared
    (a *pending* official status): it applies when they first declare. The newest row
    of an ID whose ``valid_until`` is still ahead is the one in force.
    """

    __tablename__ = "official_statuses"
    __table_args__ = (sa.Index("ix_official_statuses_id_index_id", "id_index", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    id_index: Mapped[str] = mapped_column(sa.String(64))
    color: Mapped[str] = mapped_column(sa.String(8))
    reasons: Mapped[list] = mapped_column(sa.JSON)  #: [{"zh", "en"}]
    #: hash of colour + reasons: an identical list row applied twice changes nothing
    fingerprint: Mapped[str] = mapped_column(sa.String(16))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    batch: Mapped[str | None] = mapped_column(sa.String(24), index=True)  #: import batch
    actor: Mapped[str] = mapped_column(sa.String(120))  #: staff account or cli:<os user>
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StatusAudit(Base):
    """One change of a subject's status: append-only."""

    __tablename__ = "status_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    subject: Mapped[str] = mapped_column(sa.String(16), index=True)
    old_color: Mapped[str | None] = mapped_column(sa.String(8))
    new_color: Mapped[str] = mapped_column(sa.String(8))
    #: official, import, rules (re-applied), self or proxy (a declaration's rules)
    source: Mapped[str] = mapped_column(sa.String(16))
    batch: Mapped[str | None] = mapped_column(sa.String(24))
    actor: Mapped[str] = mapped_column(sa.String(160))
    reasons: Mapped[list] = mapped_column(sa.JSON)  #: [{"zh", "en"}]


class BindingAudit(Base):
    """One change of whom an ID number is bound to: append-only."""

    __tablename__ = "binding_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    subject: Mapped[str] = mapped_column(sa.String(16), index=True)
    old_key: Mapped[str | None] = mapped_column(sa.String(160))
    new_key: Mapped[str] = mapped_column(sa.String(160))
    actor: Mapped[str] = mapped_column(sa.String(160))
    reason: Mapped[str] = mapped_column(sa.String(300))


class HealthDependant(Base):
    """A person an account declares for by proxy (at most ``max_dependants`` each)."""

    __tablename__ = "health_dependants"
    __table_args__ = (sa.UniqueConstraint("owner_key", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_key: Mapped[str] = mapped_column(sa.String(160), index=True)
    subject: Mapped[str] = mapped_column(sa.String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Resident(Base):
    """One row of the optional resident register (``tongguan residents import``)."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_index: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[bytes] = mapped_column(sa.LargeBinary)  #: sealed
    district: Mapped[str] = mapped_column(sa.String(60))
    street: Mapped[str] = mapped_column(sa.String(60))
    building: Mapped[bytes] = mapped_column(sa.LargeBinary)  #: sealed
    #: blind index of district + street + building: one household, without the address
    household: Mapped[str] = mapped_column(sa.String(64), index=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
