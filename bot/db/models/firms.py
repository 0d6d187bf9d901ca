"""The firm register: every firm the city expects to resume (the denominator of the
resumption rate). Loaded with ``tongguan firms import``; firm data, no personal data."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class Firm(Base):
    """One registered firm, keyed by its USCC."""

    __tablename__ = "firms"
    __table_args__ = (sa.Index("ix_firms_district_industry", "district", "industry"),)

    uscc: Mapped[str] = mapped_column(sa.String(18), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    industry: Mapped[str] = mapped_column(sa.String(20))
    district: Mapped[str] = mapped_column(sa.String(20))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FirmProgress(Base):
    """Where one firm (USCC) stands: its latest filing's district and industry, whether
    it has filed (a filing not withdrawn) and whether it was approved."""

    __tablename__ = "firm_progress"

    uscc: Mapped[str] = mapped_column(sa.String(18), primary_key=True)
    district: Mapped[str] = mapped_column(sa.String(20))
    industry: Mapped[str] = mapped_column(sa.String(20))
    filed: Mapped[bool] = mapped_column(sa.Boolean)
    approved: Mapped[bool] = mapped_column(sa.Boolean)


class ResumptionCount(Base):
    """Firms that filed / were approved, by district and industry (sums of
    ``firm_progress``, kept in the same transactions)."""

    __tablename__ = "resumption_counts"

    district: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    industry: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    filed: Mapped[int] = mapped_column(sa.Integer)
    approved: Mapped[int] = mapped_column(sa.Integer)


class FirmRegisterCount(Base):
    """Registered firms by district and industry (recomputed by each register import)."""

    __tablename__ = "firm_register_counts"

    district: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    industry: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    firms: Mapped[int] = mapped_column(sa.Integer)
