"""Staff accounts, their login sessions and the append-only staff audit log.

One account per person, whatever pages they use (reviewers, health officers, admins,
store staff…): a ``role`` from :data:`bot.roles.STAFF_ROLES`, an optional ``district``
scope and, for store staff, a ``store`` code. ``staff_audit`` is append-only: no code
updates or deletes its rows, and triggers (migration ``0012_staff``) refuse it.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class StaffAccount(Base):
    """A staff login: username, scrypt password hash, role and scope."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(40))
    district: Mapped[str | None] = mapped_column(sa.String(40))
    store: Mapped[str | None] = mapped_column(sa.String(40))  #: a store code (store_staff)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: failed logins since the last good one; at the limit the account locks
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: wrong pickup codes typed at the store page (a guessing guard), and since when
    failed_lookups: Mapped[int] = mapped_column(default=0)
    failed_since: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StaffSession(Base):
    """A staff login session; only the SHA-256 of its token is kept."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("staff_accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StaffAudit(Base):
    """One login or staff action: who, what, when, on which object (append-only)."""

    __tablename__ = "staff_audit"
    __table_args__ = (sa.Index("ix_staff_audit_actor_id", "actor", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(sa.String(80))  #: ``staff:<username>`` or ``cli:<user>``
    action: Mapped[str] = mapped_column(sa.String(60))  #: e.g. ``login``, ``filing.approve``
    object: Mapped[str] = mapped_column(sa.String(120), default="")
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)  #: never identity data
