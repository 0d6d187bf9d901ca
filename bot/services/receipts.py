"""Receipts of work done for a message a channel may deliver twice (``turn_receipts``).

A WeChat message whose process died mid-turn is run again by the process that takes it
over (``Inbound.resumed``). The turn's own save is all or nothing and carries the turn's
receipt (:mod:`bot.dialogue.sql_store`); an action that commits writes of its own (a
health declaration) records its outcome here **in the same transaction** under
``ActionContext.receipt``, and looks for it before writing: run again, it finds what the
first run did and does not do it twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.database import Database
from bot.db.models import TurnReceipt
from bot.privacy import Sealer


async def recall(db: Database, sealer: Sealer, key: str) -> Any | None:
    """What was recorded under ``key`` (JSON), or None."""
    async with db.sessions() as session:
        blob = await session.scalar(sa.select(TurnReceipt.sealed).where(TurnReceipt.key == key))
    return None if blob is None else sealer.open(bytes(blob))


def remember(session: AsyncSession, sealer: Sealer, key: str, value: Any,
                   now: datetime) -> None:
    """Record ``value`` (JSON) under ``key`` in ``session``'s transaction (a second
    record under one key fails the transaction: the work was done already)."""
    session.add(TurnReceipt(key=key, sealed=sealer.seal(value), created_at=now))
