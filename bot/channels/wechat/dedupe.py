"""Exactly one turn per WeChat message, across processes and restarts.

The first request for a message inserts its key (a unique primary key claims it); a
retry finds the row and returns the stored passive reply, waits for it while the turn
is in flight, or answers ``success`` when the reply went to the outbox.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.wechat.store import insert_for
from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models.wechat import WechatDedupe
from bot.privacy import Sealer

#: How long a claim is remembered (WeChat retries within ~15 s; restarts are covered).
CLAIM_TTL = timedelta(hours=1)
POLL_SECONDS = 0.05
PURGE_EVERY = 500


@dataclass(frozen=True)
class Passive:
    """The one passive reply to a message: a text or an uploaded image."""

    kind: Literal["text", "image"]
    content: str  #: the text, or the media_id
    create_time: int

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "content": self.content, "time": self.create_time}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Passive:
        return cls(data["kind"], data["content"], int(data["time"]))


@dataclass(frozen=True)
class Claim:
    """Outcome of :meth:`DedupeStore.claim`: ``mine`` or the stored state of a retry."""

    mine: bool
    status: str = ""
    passive: Passive | None = None


class DedupeStore:
    """Claims, settles and looks up callback messages by key."""

    def __init__(self, db: Database, sealer: Sealer, clock: Clock) -> None:
        self.db = db
        self.sealer = sealer
        self.clock = clock
        self._claims = 0

    def key_for(self, raw: str) -> str:
        """Blind index of the raw key, so message ids and openids are not stored."""
        return self.sealer.blind_index("wechat-msg", raw)

    async def claim(self, key: str) -> Claim:
        """Claim ``key`` for this request, or report what an earlier request left."""
        now = self.clock.now()
        self._claims += 1
        if self._claims % PURGE_EVERY == 0:
            await self.purge()
        stmt = insert_for(self.db, WechatDedupe).values(
            key=key, status="running", created_at=now,
            expires_at=now + CLAIM_TTL).on_conflict_do_nothing(index_elements=["key"])
        async with self.db.sessions.begin() as session:
            if (await session.execute(stmt.returning(WechatDedupe.key))).first():
                return Claim(mine=True)
            row = await session.get(WechatDedupe, key)
            if row is None or row.expires_at <= now:  # expired: take it over
                await session.execute(sa.delete(WechatDedupe).where(WechatDedupe.key == key))
                session.add(WechatDedupe(key=key, status="running", created_at=now,
                                         expires_at=now + CLAIM_TTL))
                return Claim(mine=True)
            return Claim(mine=False, status=row.status, passive=self._open(row.reply))

    async def settle(self, session: AsyncSession, key: str, passive: Passive | None) -> None:
        """Record the answer: ``done`` with the passive reply, or ``pushed`` without."""
        values: dict[str, Any] = {"status": "pushed", "reply": None}
        if passive is not None:
            values = {"status": "done", "reply": self.sealer.seal(passive.to_json())}
        await session.execute(sa.update(WechatDedupe).where(WechatDedupe.key == key)
                              .values(**values))

    async def wait(self, key: str, deadline: float) -> Passive | None:
        """Wait (until loop time ``deadline``) for an in-flight turn's passive reply."""
        loop = asyncio.get_running_loop()
        while True:
            async with self.db.sessions() as session:
                row = (await session.execute(
                    sa.select(WechatDedupe.status, WechatDedupe.reply)
                    .where(WechatDedupe.key == key))).first()
            if row is None or row.status == "pushed":
                return None
            if row.status == "done":
                return self._open(row.reply)
            if loop.time() + POLL_SECONDS >= deadline:
                return None
            await asyncio.sleep(POLL_SECONDS)

    async def purge(self) -> int:
        """Forget expired claims; returns how many."""
        async with self.db.sessions.begin() as session:
            result = await session.execute(sa.delete(WechatDedupe).where(
                WechatDedupe.expires_at < self.clock.now()))
        return int(result.rowcount or 0)

    def _open(self, blob: bytes | None) -> Passive | None:
        return Passive.from_json(self.sealer.open(blob)) if blob else None
