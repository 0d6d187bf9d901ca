"""The operations view's aggregates (docs/ops.md).

Writers append :class:`OpsEvent` rows in the transaction of what they count (a
declaration, a hold, a filing's transition…): an insert, so concurrent writers never wait
on one another's counter row. :func:`bot.services.ops.fold.fold` moves them, in one
transaction, into :class:`OpsCount` by city day and bumps :class:`OpsState`; readers add
the few pending events to the folded counts. Counts only: no person is in either table.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class OpsEvent(Base):
    """One not yet folded increment (``n`` may be negative)."""

    __tablename__ = "ops_events"

    #: the table's own sequence (PostgreSQL) or rowid (SQLite): writers never give one
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)  #: when it happened (bucketed by city day)
    district: Mapped[str] = mapped_column(sa.String(40))  #: ``""``: not known
    street: Mapped[str] = mapped_column(sa.String(60))  #: street or community; ``""``: none
    place: Mapped[str] = mapped_column(sa.String(40))  #: building; ``""``: none
    metric: Mapped[str] = mapped_column(sa.String(40))
    n: Mapped[int]


class OpsCount(Base):
    """A metric's total for one city day and area."""

    __tablename__ = "ops_counts"

    day: Mapped[date] = mapped_column(primary_key=True)
    district: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    street: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    place: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    metric: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    n: Mapped[int] = mapped_column(sa.BigInteger)


class OpsState(Base):
    """One row (``id`` 1): ``version`` goes up with every fold that moved events, so a
    process polling (version, pending events) sees every change."""

    __tablename__ = "ops_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(sa.BigInteger)
