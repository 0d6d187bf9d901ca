"""Today's numbers for every open dashboard of this process, from one poll.

:class:`OpsLive` (one per process, :func:`ops_live`) keeps the last snapshot and the
summaries built from it, one per scope. While anyone listens, one loop asks the database
every ``ops.poll_seconds`` whether anything changed (one small query, however many
dashboards are open); when it did, it reads the snapshot once, builds each scope's
summary once and hands the JSON to the listeners whose summary changed. Other processes
poll the same tables, so a write in any process shows everywhere.

A summary asked for while another read is under way waits for it, and takes the one
that began after it was asked rather than reading again (while writes go on, every
waiter would otherwise see a new version and read once more, one after another).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import date
from typing import Any

from bot.hub import Hub
from bot.services.ops.clock import city_day
from bot.services.ops.snapshot import Snapshot, read, version
from bot.services.ops.summary import summary

log = logging.getLogger("tongguan.ops")

CLOSED = ""  #: put on a listener's queue when the process shuts down


class OpsLive:
    """The process's view of today's numbers, and its listeners."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._key: tuple[Any, ...] | None = None
        self._snap: Snapshot | None = None
        self._texts: dict[str | None, str] = {}
        self._lock = asyncio.Lock()
        self._reads = 0  #: snapshot reads begun (under the lock)
        self._fresh = 0  #: the number of the last read that succeeded
        self._listeners: dict[asyncio.Queue[str], str | None] = {}
        self._sent: dict[asyncio.Queue[str], str] = {}
        self._task: asyncio.Task[None] | None = None

    async def _refresh(self) -> bool:
        """Re-read when the version (or the day, or the minute) moved; True if it did."""
        asked = self._reads
        now = self.hub.clock.now()
        day = city_day(self.hub.settings, now)
        key = (day, now.replace(second=0, microsecond=0), await version(self.hub, day))
        async with self._lock:
            if key == self._key or self._fresh > asked:  # current, or read since asked
                return False
            self._reads += 1
            ticket = self._reads
            self._snap = await read(self.hub, day, now)
            self._fresh = ticket
            self._key, self._texts = key, {}
            return True

    def _text(self, district: str | None) -> str:
        text = self._texts.get(district)
        if text is None:
            assert self._snap is not None
            text = self._texts[district] = json.dumps(
                summary(self._snap, self.hub.settings, district), ensure_ascii=False,
                separators=(",", ":"))
        return text

    async def text(self, district: str | None) -> str:
        """Today's summary for the city (None) or a district, as JSON text."""
        await self._refresh()
        return self._text(district)

    @property
    def day(self) -> date | None:
        return self._snap.day if self._snap else None

    def listen(self, district: str | None) -> asyncio.Queue[str]:
        """A queue that receives the scope's summary whenever it changes."""
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1)
        self._listeners[queue] = district
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        return queue

    def forget(self, queue: asyncio.Queue[str]) -> None:
        self._listeners.pop(queue, None)
        self._sent.pop(queue, None)

    def mark_sent(self, queue: asyncio.Queue[str], text: str) -> None:
        self._sent[queue] = text

    async def close(self) -> None:
        """Tell every listener to stop (shutdown) and end the loop."""
        for queue in list(self._listeners):
            _put_latest(queue, CLOSED)
        self._listeners.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while self._listeners:
            try:
                await self._refresh()
                for queue, district in list(self._listeners.items()):
                    text = self._text(district)
                    if self._sent.get(queue) != text:
                        self._sent[queue] = text
                        _put_latest(queue, text)
            except Exception:  # noqa: BLE001 - logged; the next poll tries again
                log.exception("ops.live.poll_failed")
            await asyncio.sleep(self.hub.settings.ops.poll_seconds)


def _put_latest(queue: asyncio.Queue[str], text: str) -> None:
    """Replace what a slow listener has not taken yet: it only needs the latest."""
    with contextlib.suppress(asyncio.QueueEmpty):
        queue.get_nowait()
    queue.put_nowait(text)


def ops_live(hub: Hub) -> OpsLive:
    """The hub's :class:`OpsLive`, built on first use."""
    return hub.parts.setdefault(OpsLive, lambda: OpsLive(hub))
