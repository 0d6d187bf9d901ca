"""Tables of business-resumption filings (复工申报).

The contact's name and phone and the prevention lead's name are sealed (``private``);
firm data (name, USCC, address, staff counts) is the firm's, kept in clear so reviewers
can search and the city can count. ``open_uscc`` holds the USCC while the filing is open
(submitted or returned) and is NULL otherwise: its unique index makes "one open filing
per USCC" a rule of the database, under any concurrency. ``filing_history`` is
append-only (triggers refuse UPDATE and DELETE).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class Filing(Base):
    """One filing; ``version`` grows with every change (reviewers send the one they saw)."""

    __tablename__ = "filings"
    __table_args__ = (
        sa.Index("ix_filings_district_state_id", "district", "state", "id"),
        sa.Index("ix_filings_state_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(sa.String(18), index=True)
    #: the USCC while the filing is open, else NULL (unique: one open filing per USCC)
    open_uscc: Mapped[str | None] = mapped_column(sa.String(18), unique=True)
    user_key: Mapped[str] = mapped_column(sa.String(160), index=True)  #: who filed
    lang: Mapped[str] = mapped_column(sa.String(2))  #: the firm's language at filing
    state: Mapped[str] = mapped_column(sa.String(12))
    version: Mapped[int] = mapped_column(sa.Integer)
    firm_name: Mapped[str] = mapped_column(sa.String(100))
    industry: Mapped[str] = mapped_column(sa.String(20))
    district: Mapped[str] = mapped_column(sa.String(20))
    street: Mapped[str] = mapped_column(sa.String(60))
    address: Mapped[str] = mapped_column(sa.String(200))
    #: sealed {"contact_name", "contact_phone", "prevention_lead"}
    private: Mapped[bytes] = mapped_column(sa.LargeBinary)
    staff_total: Mapped[int] = mapped_column(sa.Integer)
    staff_returning: Mapped[int] = mapped_column(sa.Integer)
    staff_risk_14d: Mapped[int] = mapped_column(sa.Integer)
    isolation_rooms: Mapped[int] = mapped_column(sa.Integer)
    capacity_percent: Mapped[int] = mapped_column(sa.Integer)
    planned_start: Mapped[date] = mapped_column(sa.Date)
    #: {"staff_origins": [...], "supplies_days": {...}, "needs": [...]}
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    #: pre-screen flags [{"id", "zh", "en"}] of the last submission
    flags: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON)
    notice_no: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    reason: Mapped[str | None] = mapped_column(sa.Text)  #: the last decision's reason
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FilingFlag(Base):
    """A filing's current pre-screen flags, one row each (the queue filters by flag)."""

    __tablename__ = "filing_flags"

    filing_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    flag: Mapped[str] = mapped_column(sa.String(40), primary_key=True, index=True)


class FilingHistory(Base):
    """One transition of a filing (append-only)."""

    __tablename__ = "filing_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    filing_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(sa.String(12))
    actor: Mapped[str] = mapped_column(sa.String(120))  #: firm, rules, staff:<username>
    reason: Mapped[str | None] = mapped_column(sa.Text)
    version: Mapped[int] = mapped_column(sa.Integer)  #: the filing's version after it


class FilingNoticeSeq(Base):
    """The last approval-notice number given out in a district."""

    __tablename__ = "filing_notice_seq"

    district: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    last: Mapped[int] = mapped_column(sa.Integer)
