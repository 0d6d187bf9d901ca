"""Versions of the NLU intent set (docs/nlu.md): the live one is the highest ``version``.

Each row is the whole set as Rasa NLU YAML; the files in ``intents/`` are version 1.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class NluVersion(Base):
    """One saved version of the intents and their examples."""

    __tablename__ = "nlu_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)  #: 1, 2, …
    yaml: Mapped[str] = mapped_column(sa.Text)  #: the whole set, Rasa NLU YAML
    author: Mapped[str] = mapped_column(sa.String(80))  #: a staff username, "files" or "cli"
    note: Mapped[str] = mapped_column(sa.String(500))
    intents: Mapped[int] = mapped_column()  #: how many intents
    examples: Mapped[int] = mapped_column()  #: how many examples
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)
