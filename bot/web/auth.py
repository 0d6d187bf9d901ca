"""Bearer session tokens of the web / mini-program API."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiohttp import web

from bot.db.batching import GroupCommit
from bot.hub import Hub
from bot.privacy import token_hash
from bot.web.keys import HUB_KEY
from bot.web.middlewares import json_error
from bot.web.session_repository import session_repository

CHANNEL = "web"  #: the channel of every conversation started through these sessions


async def create_session(hub: Hub) -> tuple[str, str]:
    """A new anonymous session: returns (token, user_id). Only the token's hash is kept."""
    token = secrets.token_urlsafe(32)
    user_id = secrets.token_hex(12)
    digest = token_hash(token)
    now = hub.clock.now()
    expires_at = now + timedelta(days=hub.settings.session_days)
    rows = session_repository(hub.db)
    if rows.batched:  # group-committed (PostgreSQL: on the hot-path pool)
        mine = _sessions(hub)
        if mine.inserts is None:
            mine.inserts = GroupCommit(rows.insert_many)
        batch = mine.inserts
        # The conversation row is made meanwhile (batched too), off the first message's path.
        ready = (hub.engine.store.prefetch(f"{CHANNEL}:{user_id}") if hub.engine is not None
                 else asyncio.sleep(0))
        await asyncio.gather(batch.submit((digest, user_id, now, expires_at)), ready)
    else:  # SQLite: one inline statement, no thread hop
        await rows.insert((digest, user_id, now, expires_at))
    # The client's next request usually comes back to this process: remember it now.
    _remember(hub, digest, user_id, expires_at)
    return token, user_id


CACHE_MAX = 50_000  #: tokens remembered per process (cleared whole when full)


@dataclass
class WebSessions:
    """This process's share of the sessions (a part of the hub): the tokens it has seen
    (hash → user, expiry) and, on PostgreSQL, the group commit of new sessions."""

    cache: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    inserts: GroupCommit | None = None


def _sessions(hub: Hub) -> WebSessions:
    return hub.parts.setdefault(WebSessions, WebSessions)


async def session_user(hub: Hub, token: str) -> str | None:
    """The user id of a live token, or None.

    Tokens never change once issued, so each process remembers the ones it has seen
    (hash → user, expiry) and asks the database only for a token new to it.
    """
    digest = token_hash(token)
    cache = _sessions(hub).cache
    hit = cache.get(digest)
    if hit is not None:
        user_id, expires_at = hit
        return user_id if expires_at > hub.clock.now() else None
    row = await session_repository(hub.db).find(digest)
    if row is None:
        return None
    _remember(hub, digest, row.user_id, row.expires_at)
    return row.user_id if row.expires_at > hub.clock.now() else None


def _remember(hub: Hub, digest: str, user_id: str, expires_at: datetime) -> None:
    cache = _sessions(hub).cache
    if len(cache) >= CACHE_MAX:
        cache.clear()
    cache[digest] = (user_id, expires_at)


async def require_session(request: web.Request) -> str:
    """The caller's user id from ``Authorization: Bearer <token>``, else a JSON 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise web.HTTPUnauthorized(
            text=json_error(401, "unauthorized", "missing bearer token").text,
            content_type="application/json")
    user_id = await session_user(request.app[HUB_KEY], token.strip())
    if user_id is None:
        raise web.HTTPUnauthorized(
            text=json_error(401, "unauthorized", "unknown or expired token").text,
            content_type="application/json")
    return user_id
