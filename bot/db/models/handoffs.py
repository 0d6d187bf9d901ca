"""The thread of a handoff request: what the resident and staff said after it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class HandoffMessage(Base):
    """One message of a handoff's thread; ``body`` is the sealed text.

    ``author``: ``resident``, ``staff:<username>`` or ``system`` (claimed, closed…).
    """

    __tablename__ = "handoff_messages"
    __table_args__ = (sa.Index("ix_handoff_messages_handoff_id_id", "handoff_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(sa.ForeignKey("handoffs.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str] = mapped_column(sa.String(80))
    body: Mapped[bytes] = mapped_column(sa.LargeBinary)
