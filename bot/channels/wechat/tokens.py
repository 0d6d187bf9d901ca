"""The access token, shared by every server process through the database.

WeChat keeps one valid token per account (the previous one lives ~5 minutes after a
refresh), so processes must not refresh on their own: one process takes a lease
(a conditional UPDATE that only one transaction can win), fetches and stores the token;
the others wait for it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeGuard

import sqlalchemy as sa

from bot.channels.wechat.errors import ApiError
from bot.channels.wechat.store import insert_for
from bot.clock import Clock
from bot.db.database import Database
from bot.db.models.wechat import WechatToken
from bot.privacy import Sealer

log = logging.getLogger("tongguan.wechat")

REFRESH_MARGIN = timedelta(minutes=5)  #: refresh this long before the token expires
LEASE = timedelta(seconds=15)
WAIT_POLL = 0.05
MAX_WAIT_SECONDS = 20.0

Fetch = Callable[[], Awaitable[tuple[str, int]]]  #: → (access_token, expires_in seconds)


@dataclass(frozen=True)
class Token:
    """A usable token and its generation (bumped at every refresh)."""

    value: str
    generation: int
    expires_at: datetime


class TokenStore:
    """Get the shared token, refreshing it (once, cluster-wide) when due."""

    def __init__(self, db: Database, sealer: Sealer, clock: Clock, app_id: str,
                 fetch: Fetch) -> None:
        self.db = db
        self.sealer = sealer
        self.clock = clock
        self.app_id = app_id
        self.fetch = fetch
        self.owner = uuid.uuid4().hex
        self._cached: Token | None = None
        self.refreshes = 0  #: refreshes done by this process (tests, logs)

    def _fresh(self, token: Token | None) -> TypeGuard[Token]:
        return token is not None and token.expires_at - REFRESH_MARGIN > self.clock.now()

    async def get(self) -> Token:
        """A token valid for at least :data:`REFRESH_MARGIN`.

        Raises:
            ApiError: WeChat refused to issue a token, or a refresh never finished.
        """
        if self._fresh(self._cached):
            return self._cached
        loop = asyncio.get_running_loop()
        give_up = loop.time() + MAX_WAIT_SECONDS
        while loop.time() < give_up:
            token = await self._load()
            if self._fresh(token):
                self._cached = token
                return token
            if await self._take_lease():
                try:
                    loaded = await self._load()  # someone may have finished just before
                    token = loaded if self._fresh(loaded) else await self._refresh()
                finally:
                    await self._release()
                self._cached = token
                return token
            await asyncio.sleep(WAIT_POLL)
        raise ApiError(-1, "access token refresh did not finish in time")

    async def invalidate(self, generation: int) -> None:
        """Mark the token of ``generation`` stale (after 40001/42001/40014)."""
        if self._cached and self._cached.generation == generation:
            self._cached = None
        async with self.db.sessions.begin() as session:
            await session.execute(sa.update(WechatToken).where(
                WechatToken.app_id == self.app_id, WechatToken.generation == generation)
                .values(expires_at=self.clock.now()))

    async def _load(self) -> Token | None:
        async with self.db.sessions() as session:
            row = await session.get(WechatToken, self.app_id)
            if row is None or row.token is None or row.expires_at is None:
                return None
            return Token(self.sealer.open(row.token), row.generation, row.expires_at)

    async def _take_lease(self) -> bool:
        now = self.clock.now()
        async with self.db.sessions.begin() as session:
            await session.execute(insert_for(self.db, WechatToken).values(
                app_id=self.app_id, generation=0).on_conflict_do_nothing(
                index_elements=["app_id"]))
            won = await session.execute(
                sa.update(WechatToken).where(
                    WechatToken.app_id == self.app_id,
                    sa.or_(WechatToken.lease_until.is_(None), WechatToken.lease_until < now))
                .values(lease_until=now + LEASE, lease_owner=self.owner)
                .returning(WechatToken.app_id))
            return won.first() is not None

    async def _release(self) -> None:
        async with self.db.sessions.begin() as session:
            await session.execute(sa.update(WechatToken).where(
                WechatToken.app_id == self.app_id, WechatToken.lease_owner == self.owner)
                .values(lease_until=None, lease_owner=None))

    async def _refresh(self) -> Token:
        value, expires_in = await self.fetch()
        expires_at = self.clock.now() + timedelta(seconds=expires_in)
        async with self.db.sessions.begin() as session:
            row = await session.get(WechatToken, self.app_id, with_for_update=True)
            assert row is not None  # inserted by _take_lease
            row.token = self.sealer.seal(value)
            row.generation += 1
            row.expires_at = expires_at
            generation = row.generation
        self.refreshes += 1
        log.info("wechat.token.refreshed generation=%s", generation)
        return Token(value, generation, expires_at)
