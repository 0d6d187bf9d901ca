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
