"""Bearer session tokens of the web / mini-program API."""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timedelta
from functools import partial

import sqlalchemy as sa
from aiohttp import web

from bot.db.batching import GroupCommit, columns
from bot.db.database import sqlite_time
from bot.db.models import ApiSession
from bot.hub import Hub
from bot.privacy import token_hash
from bot.web.keys import HUB_KEY
from bot.web.middlewares import json_error

CHANNEL = "web"  #: the channel of every conversation started through these sessions


async def create_session(hub: Hub) -> tuple[str, str]:
    """A new anonymous session: returns (token, user_id). Only the token's hash is kept."""
    token = secrets.token_urlsafe(32)
    user_id = secrets.token_hex(12)
    digest = token_hash(token)
    now = hub.clock.now()
    expires_at = now + timedelta(days=hub.settings.session_days)
    lite = hub.db.inline_sqlite()
    if lite is not None:  # SQLite: one inline statement, no thread hop
        stamp = (sqlite_time(now), sqlite_time(expires_at))
        await hub.db.write_inline(lambda c: c.execute(
            "INSERT INTO api_sessions (token_hash, user_id, created_at, expires_at) "
            "VALUES (?, ?, ?, ?)", (digest, user_id, *stamp)))
    elif hub.db.dialect == "postgresql":  # group-committed on the hot-path pool
        batch = hub.extras.get(BATCH_KEY)
        if batch is None:
            batch = hub.extras[BATCH_KEY] = GroupCommit(partial(_insert_sessions, hub))
        # The conversation row is made meanwhile (batched too), off the first message's path.
        ready = (hub.engine.store.prefetch(f"{CHANNEL}:{user_id}") if hub.engine is not None
                 else asyncio.sleep(0))
        await asyncio.gather(batch.submit((digest, user_id, now, expires_at)), ready)
    else:
        async with hub.db.write() as session:
            session.add(ApiSession(token_hash=digest, user_id=user_id, created_at=now,
                                   expires_at=expires_at))
    # The client's next request usually comes back to this process: remember it now.
    _remember(hub, digest, user_id, expires_at)
    return token, user_id


PG_INSERT_SESSIONS = (
    "INSERT INTO api_sessions (token_hash, user_id, created_at, expires_at) "
    "SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[])")
BATCH_KEY = "api_session_inserts"


async def _insert_sessions(hub: Hub, rows: list[tuple[str, str, datetime, datetime]]
                           ) -> list[None]:
    pool = await hub.db.asyncpg_pool()
    await pool.execute(PG_INSERT_SESSIONS, *columns(rows))
    return [None] * len(rows)


CACHE_KEY = "api_session_cache"
CACHE_MAX = 50_000  #: tokens remembered per process (cleared whole when full)


async def session_user(hub: Hub, token: str) -> str | None:
    """The user id of a live token, or None.

    Tokens never change once issued, so each process remembers the ones it has seen
    (hash → user, expiry) and asks the database only for a token new to it.
    """
    digest = token_hash(token)
    cache: dict[str, tuple[str, object]] = hub.extras.setdefault(CACHE_KEY, {})
    hit = cache.get(digest)
    if hit is not None:
        user_id, expires_at = hit
        return user_id if expires_at > hub.clock.now() else None  # type: ignore[operator]
    async with hub.db.sessions() as session:
        row = (await session.execute(
            sa.select(ApiSession.user_id, ApiSession.expires_at)
            .where(ApiSession.token_hash == digest))).first()
    if row is None:
        return None
    _remember(hub, digest, row.user_id, row.expires_at)
    return row.user_id if row.expires_at > hub.clock.now() else None


def _remember(hub: Hub, digest: str, user_id: str, expires_at: object) -> None:
    cache: dict[str, tuple[str, object]] = hub.extras.setdefault(CACHE_KEY, {})
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
