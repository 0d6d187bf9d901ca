"""Staff roles held by chat identities (a community worker's WeChat or web chat)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class ChatRole(Base):
    """``user_key`` (channel:user) holds ``role``; flows with an ``audience`` check it."""

    __tablename__ = "chat_roles"

    user_key: Mapped[str] = mapped_column(sa.String(160), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    granted_by: Mapped[str] = mapped_column(sa.String(120))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the district the grant is scoped to (a code of the demo city's districts), if any:
    #: a form that asks the district answers it from here (``records.districts``)
    district: Mapped[str | None] = mapped_column(sa.String(40))
