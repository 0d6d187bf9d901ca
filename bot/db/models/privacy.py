"""Tables of retention, legal holds and seal-key rotation (docs/privacy.md).

No identity data: the retention log holds counts per kind of data; a legal hold names
the channel identity it protects (``channel:user``), as the other tables of a chat do.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class RetentionLog(Base):
    """What one retention run (or one resident's deletion request) removed: counts only."""

    __tablename__ = "retention_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    run: Mapped[str] = mapped_column(sa.String(32))  #: the run's id (one per run)
    #: ``job`` (the retention job), ``cli:<user>`` or ``resident`` (a deletion request)
    trigger: Mapped[str] = mapped_column(sa.String(80))
    kind: Mapped[str] = mapped_column(sa.String(40))  #: e.g. ``declarations``
    deleted: Mapped[int] = mapped_column(sa.Integer)
    anonymised: Mapped[int] = mapped_column(sa.Integer)
    #: rows older than this were due (NULL for a resident's request)
    cutoff: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LegalHold(Base):
    """A chat identity whose data must be kept (an investigation, a court order)."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_key: Mapped[str] = mapped_column(sa.String(160), unique=True)
    reason: Mapped[str] = mapped_column(sa.String(300))
    placed_by: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SealRotation(Base):
    """How far ``tongguan secrets rotate-seal`` has come, per table, towards one key."""

    __tablename__ = "seal_rotation"

    target: Mapped[str] = mapped_column(sa.String(8), primary_key=True)  #: key id, hex
    table_name: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    #: the last primary key done (as text); NULL: not started
    last_key: Mapped[str | None] = mapped_column(sa.String(200))
    done: Mapped[bool] = mapped_column(default=False)
    resealed: Mapped[int] = mapped_column(sa.Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RetentionUnlock(Base):
    """Present only inside a retention transaction: lets it delete old rows of an
    append-only table (the triggers of ``0019_retention`` check for it); removed before
    that transaction commits, so no other transaction ever sees a row."""

    __tablename__ = "retention_unlock"

    table_name: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
