"""Per-follower state: push permission (unsubscribe) and consented last location."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.wechat.store import insert_for
from bot.clock import Clock
from bot.db.database import Database
from bot.db.models import Conversation
from bot.db.models.wechat import WechatUser
from bot.messages import Location
from bot.privacy import Sealer


def user_key(openid: str) -> str:
    """The core's conversation key of a WeChat follower."""
    return f"wechat:{openid}"


async def _upsert(db: Database, session: AsyncSession, key: str, now: datetime,
                  **values: object) -> None:
    stmt = insert_for(db, WechatUser).values(user_key=key, updated_at=now, **{
        "subscribed": True, "location_consent": False, **values})
    await session.execute(stmt.on_conflict_do_update(
        index_elements=["user_key"], set_={"updated_at": now, **values}))


async def stop_pushes(db: Database, clock: Clock, openid: str) -> None:
    """The user unfollowed: no more pushes (conversation flag and our own record)."""
    key, now = user_key(openid), clock.now()
    async with db.sessions.begin() as session:
        await session.execute(sa.update(Conversation).where(Conversation.user_key == key)
                              .values(push_allowed=False))
        await _upsert(db, session, key, now, subscribed=False)


async def resume_pushes(db: Database, clock: Clock, openid: str) -> None:
    """The user followed again: undo what :func:`stop_pushes` did, nothing more."""
    key, now = user_key(openid), clock.now()
    async with db.sessions.begin() as session:
        row = await session.get(WechatUser, key)
        if row is None or row.subscribed:
            return
        row.subscribed = True
        row.updated_at = now
        await session.execute(sa.update(Conversation).where(Conversation.user_key == key)
                              .values(push_allowed=True))


async def push_allowed(db: Database, openid: str) -> bool:
    """False once the user unfollowed or turned pushes off."""
    key = user_key(openid)
    async with db.sessions() as session:
        conv = await session.scalar(sa.select(Conversation.push_allowed)
                                    .where(Conversation.user_key == key))
        subscribed = await session.scalar(sa.select(WechatUser.subscribed)
                                          .where(WechatUser.user_key == key))
    return conv is not False and subscribed is not False


async def user_lang(db: Database, openid: str, default: str) -> str:
    """The conversation's language, for the channel's own short answers."""
    async with db.sessions() as session:
        lang = await session.scalar(sa.select(Conversation.lang)
                                    .where(Conversation.user_key == user_key(openid)))
    return lang if lang in ("zh", "en") else default


async def set_location_consent(db: Database, clock: Clock, openid: str, allowed: bool) -> None:
    """Record whether reported locations may be kept; withdrawing forgets the last one."""
    values: dict[str, object] = {"location_consent": allowed}
    if not allowed:
        values.update(last_location=None, location_at=None)
    async with db.sessions.begin() as session:
        await _upsert(db, session, user_key(openid), clock.now(), **values)


async def remember_location(db: Database, sealer: Sealer, clock: Clock, openid: str,
                            where: Location) -> bool:
    """Keep a LOCATION report as the last known location, only with consent."""
    key, now = user_key(openid), clock.now()
    async with db.sessions.begin() as session:
        result = await session.execute(
            sa.update(WechatUser).where(WechatUser.user_key == key,
                                        WechatUser.location_consent.is_(True))
            .values(last_location=sealer.seal(where.to_json(), context=key.encode()),
                    location_at=now, updated_at=now).returning(WechatUser.user_key))
        return result.first() is not None


async def last_location(db: Database, sealer: Sealer, openid: str) -> Location | None:
    """The consented last known location, if any."""
    key = user_key(openid)
    async with db.sessions() as session:
        row = await session.get(WechatUser, key)
    if row is None or not row.location_consent or row.last_location is None:
        return None
    data = sealer.open(row.last_location, context=key.encode())
    return Location(float(data["lat"]), float(data["lng"]), data.get("label", ""))
