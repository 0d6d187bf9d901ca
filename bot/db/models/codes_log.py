"""The issue log of long-lived (paper) health codes.

Every paper code is written here when it is issued: when, for which pseudonymous subject,
through which channel and by whom. No identity data: the subject is the random id the
code itself carries, the actor a channel name or a staff/CLI user name.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class CodeIssue(Base):
    """One issued paper code (append-only)."""

    __tablename__ = "code_issues"

    id: Mapped[int] = mapped_column(primary_key=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    subject: Mapped[str] = mapped_column(sa.String(16), index=True)  #: pseudonymous
    kind: Mapped[str] = mapped_column(sa.String(8))  #: ``paper``
    #: ``resident`` (POST from the code page), ``cli`` (``tongguan code paper``),
    #: ``chat`` (a proxy declaration in chat); ``staff`` once staff accounts exist
    channel: Mapped[str] = mapped_column(sa.String(16))
    actor: Mapped[str] = mapped_column(sa.String(80))  #: who asked: ``resident``, a CLI user
    code_id: Mapped[bytes] = mapped_column(sa.LargeBinary(32))  #: the code's cti
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
