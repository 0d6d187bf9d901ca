"""Counters the abuse limits share: in this process, or in Redis for every process.

A limit counts hits in a sliding window, estimated from two fixed windows (the current
one and the one before, weighted by how much of it still overlaps): one ``INCR`` and one
``GET`` in a single Redis round trip, exact enough to stop a script and never stricter
than the limit. ``once`` keeps a value for a time unless one is already kept (the WeChat
nonce cache). When Redis does not answer, the process falls back to its own counters
(logged) rather than refusing everyone.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger("tongguan.limits")

MAX_MEMORY_KEYS = 100_000  #: in-process keys kept before the oldest windows are dropped
REDIS_TIMEOUT = 0.5  #: seconds; a slow Redis must not stall requests
PREFIX = "tg:"


@dataclass(frozen=True)
class Count:
    """A window's count: ``previous`` (the whole window before), ``current`` (so far,
    this hit included), and ``elapsed`` (how far into the current window, 0-1)."""

    previous: int
    current: int
    elapsed: float

    @property
    def estimate(self) -> float:
        """Hits in the sliding window ending now."""
        return self.previous * (1 - self.elapsed) + self.current

    def wait(self, limit: int, window: float) -> float:
        """Seconds until the sliding estimate falls below ``limit`` (no further hits)."""
        if self.current >= limit:  # wait into the next window, where this one decays
            return (1 - self.elapsed) * window + (1 - limit / self.current) * window
        if self.previous == 0:
            return 0.0
        needed = 1 - (limit - self.current) / self.previous
        return max(0.0, (needed - self.elapsed) * window)


class Counters(Protocol):
    """Where the limits count (see :class:`MemoryCounters`, :class:`RedisCounters`)."""

    async def hit(self, key: str, window: float) -> Count: ...

    async def once(self, key: str, value: str, ttl: float) -> str | None:
        """Keep ``value`` for ``ttl`` seconds unless a value is kept; returns that one."""
        ...

    async def close(self) -> None: ...


def _slot(window: float, now: float) -> tuple[int, float]:
    index = int(now // window)
    return index, now / window - index


@dataclass
class MemoryCounters:
    """This process's counters (a single process, or Redis down)."""

    clock: Any = time.time
    windows: dict[str, int] = field(default_factory=dict)
    kept: dict[str, tuple[str, float]] = field(default_factory=dict)

    async def hit(self, key: str, window: float) -> Count:
        index, elapsed = _slot(window, self.clock())
        if len(self.windows) >= MAX_MEMORY_KEYS:
            self._prune(window, index)
        current = f"{key}:{index}"
        self.windows[current] = self.windows.get(current, 0) + 1
        return Count(self.windows.get(f"{key}:{index - 1}", 0), self.windows[current],
                     elapsed)

    def _prune(self, window: float, index: int) -> None:
        keep = {str(index), str(index - 1)}
        self.windows = {k: v for k, v in self.windows.items()
                        if k.rsplit(":", 1)[1] in keep}
        if len(self.windows) >= MAX_MEMORY_KEYS:
            self.windows.clear()

    async def once(self, key: str, value: str, ttl: float) -> str | None:
        now = self.clock()
        if len(self.kept) >= MAX_MEMORY_KEYS:
            self.kept = {k: v for k, v in self.kept.items() if v[1] > now}
        held = self.kept.get(key)
        if held is not None and held[1] > now:
            return held[0]
        self.kept[key] = (value, now + ttl)
        return None

    async def close(self) -> None:
        return None


class RedisCounters:
    """Counters in Redis, shared by every process and server (``rate_limits.redis_url``)."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self.redis = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT,
                                          socket_connect_timeout=REDIS_TIMEOUT)
        self.fallback = MemoryCounters()
        self._warned = 0.0

    def _down(self, err: Exception) -> None:
        now = time.monotonic()
        if now - self._warned > 60:  # once a minute, not once a request
            self._warned = now
            log.warning("limits.redis_down error=%s (counting in this process)",
                        type(err).__name__)

    async def hit(self, key: str, window: float) -> Count:
        from redis.exceptions import RedisError

        index, elapsed = _slot(window, time.time())
        current = f"{PREFIX}{key}:{index}"
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.incr(current)
                pipe.pexpire(current, int(window * 2000) + 1000)
                pipe.get(f"{PREFIX}{key}:{index - 1}")
                now_count, _, before = await pipe.execute()
        except (RedisError, OSError) as err:
            self._down(err)
            return await self.fallback.hit(key, window)
        return Count(int(before or 0), int(now_count), elapsed)

    async def once(self, key: str, value: str, ttl: float) -> str | None:
        from redis.exceptions import RedisError

        try:
            if await self.redis.set(PREFIX + key, value, nx=True, px=int(ttl * 1000) + 1):
                return None
            held = await self.redis.get(PREFIX + key)
        except (RedisError, OSError) as err:
            self._down(err)
            return await self.fallback.once(key, value, ttl)
        return None if held is None else held.decode() if isinstance(held, bytes) else held

    async def close(self) -> None:
        await self.redis.aclose()
