"""Requests to talk to a human, with the conversation's recent transcript."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.clock import Clock
from bot.db.database import Database
from bot.db.models import Handoff
from bot.privacy import Sealer


@dataclass(frozen=True)
class HandoffView:
    id: int
    user_key: str
    flow_id: str | None
    status: str
    created_at: datetime
    transcript: list[dict[str, Any]]


class Handoffs:
    """Create and list handoff requests."""

    def __init__(self, db: Database, sealer: Sealer, clock: Clock) -> None:
        self.db = db
        self.sealer = sealer
        self.clock = clock

    async def create(self, user_key: str, flow_id: str | None,
                     transcript: list[dict[str, Any]]) -> int:
        async with self.db.write() as session:
            row = Handoff(user_key=user_key, flow_id=flow_id, status="open",
                          transcript=self.sealer.seal(transcript), created_at=self.clock.now())
            session.add(row)
            await session.flush()
            return row.id

    async def list(self, status: str | None = "open") -> list[HandoffView]:
        query = sa.select(Handoff).order_by(Handoff.id)
        if status:
            query = query.where(Handoff.status == status)
        async with self.db.sessions() as session:
            rows = (await session.scalars(query)).all()
        return [HandoffView(r.id, r.user_key, r.flow_id, r.status, r.created_at,
                            self.sealer.open(r.transcript)) for r in rows]
