"""Abuse limits: ``await limit(request, "sessions", key)`` or a clear 429.

Each limit is a setting under ``rate_limits.*`` (0 turns one off, ``enabled: false`` all
of them) counted in a sliding window by :mod:`bot.web.counters` — in Redis when
``rate_limits.redis_url`` is set, so every process and server shares the count. A refusal
is ``429 rate_limited`` with ``Retry-After`` and the message in English and Chinese.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web

from bot import metrics
from bot.config import RateLimitSettings
from bot.web.counters import Counters, MemoryCounters, RedisCounters
from bot.web.keys import SETTINGS_KEY
from bot.web.middlewares import json_error

MINUTE, HOUR = 60.0, 3600.0


@dataclass(frozen=True)
class Limit:
    """One limit: its setting, the window it counts in, and what a refusal says."""

    setting: str
    window: float
    zh: str
    en: str


LIMITS: dict[str, Limit] = {
    "sessions": Limit("sessions_per_minute", MINUTE, "新建会话过于频繁，请稍后再试。",
                      "Too many new sessions from this address; try again later."),
    "chat": Limit("chat_turns_per_minute", MINUTE, "发送太快了，请稍等片刻再发。",
                  "You are sending messages too fast; wait a moment."),
    "verify": Limit("verify_per_minute", MINUTE, "核验请求过于频繁，请稍后再试。",
                    "Too many verifications from this address; try again later."),
    "staff_login": Limit("staff_logins_per_minute", MINUTE, "该账号登录尝试过于频繁，请稍后再试。",
                         "Too many login attempts for this account; try again later."),
    "staff_login_address": Limit("staff_logins_per_address_per_minute", MINUTE,
                                 "登录尝试过于频繁，请稍后再试。",
                                 "Too many login attempts from this address; try again "
                                 "later."),
    "pickup": Limit("pickup_lookups_per_minute", MINUTE, "查询取货码过于频繁，请稍后再试。",
                    "Too many pickup-code lookups; wait a moment."),
    "paper": Limit("paper_codes_per_hour", HOUR, "纸质码请求过于频繁，请稍后再试。",
                   "Too many paper-code requests; try again later."),
}


class Limiter:
    """The limits of one app over its counters."""

    def __init__(self, settings: RateLimitSettings, counters: Counters) -> None:
        self.settings = settings
        self.counters = counters

    def allowance(self, name: str) -> int:
        """Hits the limit ``name`` allows per window (0: off)."""
        if not self.settings.enabled:
            return 0
        return int(getattr(self.settings, LIMITS[name].setting))

    async def wait(self, name: str, key: str) -> float:
        """Count a hit; seconds to wait when it is over the limit, else 0."""
        allowed = self.allowance(name)
        if allowed <= 0:
            return 0.0
        rule = LIMITS[name]
        count = await self.counters.hit(f"rl:{name}:{_digest(key)}", rule.window)
        if count.estimate <= allowed:
            return 0.0
        return max(1.0, count.wait(allowed, rule.window))


def _digest(key: str) -> str:
    """Keys (addresses, accounts) are hashed before they reach Redis or memory."""
    return hashlib.blake2b(key.encode(errors="replace"), digest_size=12).hexdigest()


LIMITER_KEY = web.AppKey("limiter", Limiter)


def too_many(name: str, retry_after: float) -> web.HTTPTooManyRequests:
    """The 429 of limit ``name``: JSON (``rate_limited``, zh and en) and ``Retry-After``."""
    metrics.RATE_LIMITED.labels(name).inc()
    rule, seconds = LIMITS[name], math.ceil(retry_after)
    body = json_error(429, "rate_limited", rule.en, message_zh=rule.zh, retry_after=seconds)
    return web.HTTPTooManyRequests(text=body.text, content_type="application/json",
                                   headers={"Retry-After": str(seconds)})


async def limit(request: web.Request, name: str, key: str) -> None:
    """Count this request against limit ``name`` for ``key``.

    Raises:
        HTTPTooManyRequests: over the limit (429, ``Retry-After``).
    """
    limiter = request.app.get(LIMITER_KEY)
    if limiter is None:
        return
    wait = await limiter.wait(name, key)
    if wait:
        raise too_many(name, wait)


def client_address(request: web.Request) -> str:
    """The client's address: the last entry of ``rate_limits.client_address_header`` when
    a trusted load balancer sets it, else the peer."""
    header = request.app[SETTINGS_KEY].rate_limits.client_address_header
    if header:
        forwarded = request.headers.get(header, "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last[:100]
    return request.remote or ""


async def limiter_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open the counters (Redis when configured) for the app's life."""
    settings = app[SETTINGS_KEY].rate_limits
    counters: Counters = (RedisCounters(settings.redis_url) if settings.redis_url
                          else MemoryCounters())
    app[LIMITER_KEY] = Limiter(settings, counters)
    yield
    await counters.close()
