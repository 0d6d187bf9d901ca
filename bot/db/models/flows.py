"""Published flow versions: the live version of a flow is its highest ``version``.

A rollback is a new version copying an older one (``rollback_of`` names it), so the
history only grows and every process follows one rule: the newest row wins.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class FlowVersion(Base):
    """One published version of one flow (or of the menu file)."""

    __tablename__ = "flow_versions"
    __table_args__ = (sa.UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80))  #: the file stem, e.g. health_declaration
    version: Mapped[int] = mapped_column()  #: 1, 2, … per name
    yaml: Mapped[str] = mapped_column(sa.Text)
    author: Mapped[str] = mapped_column(sa.String(80))  #: a staff username, "files" or "cli"
    note: Mapped[str] = mapped_column(sa.String(500))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the version this one copies, when it is a rollback
    rollback_of: Mapped[int | None] = mapped_column()
