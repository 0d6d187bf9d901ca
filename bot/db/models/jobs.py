"""Background jobs shared by every process (docs/deployment.md).

:class:`JobLease` elects the one process that runs the cluster's jobs: the holder renews
``until``; when it stops (killed, cut off) another takes the row once ``until`` passed.
:class:`JobState` is one row per job: when it is due next, who is running it now (a
second claim waits for ``running_until``), and how its last run went.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class JobLease(Base):
    """A lease: ``holder`` runs what the lease covers until ``until``."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)  #: ``runner``
    holder: Mapped[str] = mapped_column(sa.String(120))  #: host:pid:random of the process
    until: Mapped[datetime] = mapped_column(UTCDateTime)


class JobState(Base):
    """One job's schedule and last run."""

    __tablename__ = "job_state"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    next_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the process running it now, and until when its claim holds (renewed while it runs)
    running_by: Mapped[str | None] = mapped_column(sa.String(120))
    running_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_started: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))  #: None: it went well
    last_result: Mapped[str | None] = mapped_column(sa.String(500))  #: what it did
    runs: Mapped[int] = mapped_column(sa.Integer, default=0)
    failures: Mapped[int] = mapped_column(sa.Integer, default=0)
