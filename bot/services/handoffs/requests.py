"""Requests to talk to a human: the resident's side (ask, write while claimed, go back to
the bot) and the listing the CLI shows. Staff work on them in :mod:`.inbox`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.database import Database
from bot.db.models import Handoff
from bot.db.models.handoffs import HandoffMessage
from bot.messages import Reply
from bot.privacy import Sealer
from bot.services.handoffs.repository import status_reader
from bot.services.outbox import Outbox

OPEN, CLAIMED, CLOSED = "open", "claimed", "closed"
STATES = (OPEN, CLAIMED, CLOSED)
RESIDENT = "resident"  #: the ``author`` of the resident's messages


@dataclass(frozen=True)
class HandoffView:
    id: int
    user_key: str
    flow_id: str | None
    status: str
    created_at: datetime
    transcript: list[dict[str, Any]]


class Handoffs:
    """Create, list and follow handoff requests (one per process: :func:`handoffs`)."""

    def __init__(self, db: Database, sealer: Sealer, clock: Clock,
                 outbox: Outbox | None = None) -> None:
        self.db = db
        self.sealer = sealer
        self.clock = clock
        self.outbox = outbox or Outbox(db, sealer, clock)
        self._status = status_reader(db)

    async def create(self, user_key: str, flow_id: str | None,
                     transcript: list[dict[str, Any]], *, lang: str = "zh",
                     district: str | None = None) -> int:
        """A new open request; ``transcript``: the turns before it (sealed at rest)."""
        now = self.clock.now()
        async with self.db.write() as session:
            row = Handoff(user_key=user_key, flow_id=flow_id, status=OPEN,
                          transcript=self.sealer.seal(transcript), created_at=now,
                          lang=lang if lang in ("zh", "en") else "zh",
                          district=district, waiting_since=now)
            session.add(row)
            await session.flush()
            return row.id

    async def list(self, status: str | None = OPEN) -> list[HandoffView]:
        query = sa.select(Handoff).order_by(Handoff.id)
        if status:
            query = query.where(Handoff.status == status)
        async with self.db.sessions() as session:
            rows = (await session.scalars(query)).all()
        return [HandoffView(r.id, r.user_key, r.flow_id, r.status, r.created_at,
                            self.sealer.open(r.transcript)) for r in rows]

    async def status(self, handoff_id: int) -> str | None:
        """The request's state (None when there is no such request): one primary-key read
        straight through the driver (the chat path asks it every turn of such a user)."""
        return await self._status.status(handoff_id)

    async def from_resident(self, handoff_id: int, user_key: str, text: str) -> bool:
        """Put the resident's message into the thread of their claimed request; False
        when it is not claimed (any more): the bot answers instead."""
        async with self.db.write() as session:
            row = await locked(session, handoff_id)
            if row is None or row.user_key != user_key or row.status != CLAIMED:
                return False
            now = self.clock.now()
            self.add_message(session, handoff_id, RESIDENT, {"text": text}, now)
            if row.waiting_since is None:
                row.waiting_since = now
            return True

    async def back_to_bot(self, handoff_id: int, user_key: str) -> bool:
        """The resident ends their request (open or claimed); False when already closed."""
        async with self.db.write() as session:
            row = await locked(session, handoff_id)
            if row is None or row.user_key != user_key or row.status == CLOSED:
                return False
            now = self.clock.now()
            row.status, row.closed_by, row.closed_at, row.waiting_since = (
                CLOSED, RESIDENT, now, None)
            self.add_message(session, handoff_id, RESIDENT, {"event": "returned"}, now)
            return True

    # -- shared by the inbox ----------------------------------------------------------
    def add_message(self, session: AsyncSession, handoff_id: int, author: str,
                    body: dict[str, str], at: datetime) -> HandoffMessage:
        message = HandoffMessage(handoff_id=handoff_id, at=at, author=author[:80],
                                 body=self.sealer.seal(body))
        session.add(message)
        return message

    async def tell(self, session: AsyncSession, row: Handoff, replies: Sequence[Reply],
                   key: str) -> None:
        """Queue ``replies`` for the resident on their own channel (in ``session``)."""
        channel, _, user_id = row.user_key.partition(":")
        await self.outbox.enqueue(channel=channel, user_id=user_id, replies=list(replies),
                                  dedupe_key=f"handoff:{row.id}:{key}", session=session)


async def locked(session: AsyncSession, handoff_id: int) -> Handoff | None:
    """The row, locked until the transaction ends (SQLite: the write lock is held)."""
    return await session.get(Handoff, handoff_id, with_for_update=True)

