"""Images to WeChat: fetch bytes from the app, upload once, reuse the media_id."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

import sqlalchemy as sa

from bot.channels.wechat.api import WechatApi
from bot.channels.wechat.store import insert_for
from bot.clock import Clock
from bot.db.database import Database
from bot.db.models.wechat import WechatMedia
from bot.hub import MediaSources

log = logging.getLogger("tongguan.wechat")

#: WeChat keeps temporary media 3 days; stop using it a little earlier.
MEDIA_LIFETIME = timedelta(days=3) - timedelta(hours=1)


async def fetch_media(media: MediaSources, url: str) -> bytes | None:
    """The bytes behind an image URL of this server, from the feature serving it
    (``hub.media``); None when no feature serves it or its getter failed."""
    getter = media.getter(url)
    if getter is None:
        return None
    try:
        return await getter(url)
    except Exception:  # a feature's bug must not break the chat
        log.exception("wechat.media.fetch_failed")
        return None


class MediaStore:
    """media_id by SHA-256 of the bytes, cached in the database until it expires."""

    def __init__(self, db: Database, clock: Clock, api: WechatApi) -> None:
        self.db = db
        self.clock = clock
        self.api = api
        self.uploads = 0  #: uploads done by this process (tests, bench)

    async def cached(self, digest: str) -> str | None:
        async with self.db.sessions() as session:
            row = await session.get(WechatMedia, digest)
            if row is not None and row.expires_at > self.clock.now():
                return row.media_id
        return None

    async def media_id(self, data: bytes) -> str:
        """Upload ``data`` unless an unexpired upload of the same bytes exists.

        Raises:
            ApiError: the upload failed.
        """
        digest = hashlib.sha256(data).hexdigest()
        found = await self.cached(digest)
        if found:
            return found
        media_id = await self.api.upload_image(data)
        self.uploads += 1
        expires = self.clock.now() + MEDIA_LIFETIME
        stmt = insert_for(self.db, WechatMedia).values(
            digest=digest, media_id=media_id, expires_at=expires)
        stmt = stmt.on_conflict_do_update(index_elements=["digest"], set_={
            "media_id": media_id, "expires_at": expires})
        async with self.db.sessions.begin() as session:
            await session.execute(stmt)
            await session.execute(sa.delete(WechatMedia).where(
                WechatMedia.expires_at < self.clock.now()))
        return media_id

    async def forget(self, media_id: str) -> None:
        """Drop a media_id WeChat no longer knows."""
        async with self.db.sessions.begin() as session:
            await session.execute(sa.delete(WechatMedia).where(WechatMedia.media_id == media_id))
