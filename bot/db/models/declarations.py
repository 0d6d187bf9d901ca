"""Tables of health declarations and health codes.

Identity data never sits here in clear: a person is a random pseudonymous ``subject``
found through a keyed blind index of the ID number; names, ID numbers, phones and the
answers are sealed. Live-page tokens are stored only as a SHA-256 hash.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class HealthSubject(Base):
    """One person: a random subject id (goes into codes) and the ID number's blind index."""

    __tablename__ = "health_subjects"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(16), unique=True)
    id_index: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the channel identity (``channel:user_id``) that declared "for myself" first; only
    #: a community worker can move it (``tongguan declarations rebind``)
    bound_key: Mapped[str | None] = mapped_column(sa.String(160), index=True)
    bound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HealthDeclaration(Base):
    """One submitted declaration; ``answers`` (sealed) lets rules be re-applied later."""

    __tablename__ = "health_declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(16), index=True)
    user_key: Mapped[str] = mapped_column(sa.String(160), index=True)  #: who declared
    proxy: Mapped[bool] = mapped_column(default=False)  #: declared for a family member
    name: Mapped[bytes] = mapped_column(sa.LargeBinary)  #: sealed
    id_number: Mapped[bytes] = mapped_column(sa.LargeBinary)  #: sealed
    phone: Mapped[bytes | None] = mapped_column(sa.LargeBinary)  #: sealed
    answers: Mapped[bytes] = mapped_column(sa.LargeBinary)  #: sealed health answers
    color: Mapped[str] = mapped_column(sa.String(8))
    rules_version: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HealthStatus(Base):
    """A subject's health status (colour, reasons) behind one live-page token.

    At most one status per subject is ``active``; a new one revokes the earlier ones and
    every code issued under them.
    """

    __tablename__ = "health_statuses"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(16), index=True)
    owner_key: Mapped[str] = mapped_column(sa.String(160), index=True)  #: who may see it
    declaration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("health_declarations.id", ondelete="SET NULL"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    color: Mapped[str] = mapped_column(sa.String(8))
    reasons: Mapped[list] = mapped_column(sa.JSON)  #: [{"zh", "en"}]
    masked_name: Mapped[str] = mapped_column(sa.String(32))
    #: declaration (rules decided), official (an officer or a list decided), reapply
    source: Mapped[str] = mapped_column(sa.String(16))
    rules_version: Mapped[str] = mapped_column(sa.String(16))
    active: Mapped[bool] = mapped_column(default=True, index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    #: indexed: the revocation list and the verifier read the recently revoked statuses
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: declared by proxy (a family member): its codes say so
    proxy: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class HealthCode(Base):
    """One signed code issued under a status (its ``cti`` is what gets revoked)."""

    __tablename__ = "health_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    status_id: Mapped[int] = mapped_column(
        sa.ForeignKey("health_statuses.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[bytes] = mapped_column(sa.LargeBinary(32), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(8))
    text: Mapped[str] = mapped_column(sa.Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked: Mapped[bool] = mapped_column(default=False, index=True)


class CheckinVenue(Base):
    """A venue that opted in to check-in mode (contact tracing); token kept as a hash."""

    __tablename__ = "checkin_venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: a district code of the operations map (bot/services/ops/geo.py), "" if not given
    district: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Checkin(Base):
    """A scan at an opted-in venue: time, venue, pseudonymous subject. Kept 21 days."""

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(
        sa.ForeignKey("checkin_venues.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(64), index=True)
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
