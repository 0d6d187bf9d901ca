"""Today's numbers for every open dashboard of this process, from one poll.

:class:`OpsLive` (one per process, :func:`ops_live`) keeps today's snapshot up to date
by what changed (:mod:`bot.services.ops.incremental`) and the summaries built from it,
one per scope. A summary request asks the database whether anything changed (one small
query) and, if it did, brings the snapshot up to date before answering, so a request
sees every change committed before it; requests asked while a refresh is under way wait
for it, and take the one that began after they asked (at most one refresh in flight).

Streams: while anyone listens, one loop polls every ``ops.poll_seconds`` and wakes the
listeners whose scope's summary changed. A listener gets the whole summary first, then
only RFC 7386 merge patches from the document it last got to the current one (shared by
every listener at the same point), so a burst of changes is one event per dashboard per
poll. The counters go at every poll; the tables below district level (arrays, sent
whole in a patch when any row changed, tens of KiB for the city) at most every
``TABLE_SECONDS``, so a stream of changes sends them once in a while, not every poll.
Other processes poll the same tables, so a write in any process shows everywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.hub import Hub
from bot.services.ops.clock import city_day
from bot.services.ops.incremental import Live, refresh
from bot.services.ops.merge import merge_patch
from bot.services.ops.snapshot import Snapshot, version
from bot.services.ops.summary import TOP_BUILDINGS, building_rows, summary

log = logging.getLogger("tongguan.ops")

HISTORY = 8  #: documents of a scope kept to patch from (a listener further behind: whole)
#: the tables below district level (the big members) are streamed at most this often;
#: the counters at every poll. Both within 2 s of a change.
TABLE_SECONDS = 1.5
TABLES = (("streets",), ("buildings",), ("screenings", "communities"),
          ("screenings", "buildings"), ("checkins", "venues"))
CHANGE_ONLY = frozenset({"generated_at"})  #: a patch of only these is no change


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass
class Doc:
    """A scope's current summary, and the document its streams have been sent."""

    gen: int  #: the snapshot ``doc`` was built from
    doc: dict[str, Any]  #: the summary now (what ``/summary`` answers)
    text: str
    seq: int  #: the streamed document's version
    stream: dict[str, Any]  #: the streamed document: ``doc``, its tables up to TABLE_SECONDS old
    tables_at: float  #: when the streamed tables last changed (loop time)
    held: bool = False  #: the streamed document holds back tables that changed
    stream_text: str | None = None


def _part(doc: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _with_part(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """``doc`` with the member at ``path`` replaced (copied along the path only)."""
    out = dict(doc)
    out[path[0]] = value if len(path) == 1 else _with_part(doc[path[0]], path[1:], value)
    return out


@dataclass(eq=False)
class Listener:
    """One open stream: its scope and the document it last got."""

    district: str | None
    sent: int | None = None  #: the ``seq`` of the scope's document it has
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False


class OpsLive:
    """The process's view of today's numbers, and its listeners."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._key: tuple[Any, ...] | None = None
        self._live = Live()
        self._snap: Snapshot | None = None
        self._gen = 0  #: snapshots made
        self._docs: dict[str | None, Doc] = {}
        self._history: dict[tuple[str | None, int], dict[str, Any]] = {}
        self._patches: dict[tuple[str | None, int, int], str] = {}
        self._frames: dict[tuple[str | None, int, int], bytes] = {}  #: patches as sent
        self._rows: dict[tuple[int, str | None, Hashable], list[dict[str, Any]]] = {}
        self._lock = asyncio.Lock()
        self._reads = 0  #: refreshes begun (under the lock)
        self._fresh = 0  #: the number of the last refresh that succeeded
        self._listeners: set[Listener] = set()
        self._task: asyncio.Task[None] | None = None

    async def _refresh(self) -> bool:
        """Bring the snapshot up to date when the version (or the day, or the minute)
        moved; True if it did."""
        asked = self._reads
        now = self.hub.clock.now()
        day = city_day(self.hub.settings, now)
        key = (day, now.replace(second=0, microsecond=0), await version(self.hub, day))
        async with self._lock:
            if key == self._key or self._fresh > asked:  # current, or read since asked
                return False
            self._reads += 1
            ticket = self._reads
            self._snap = await refresh(self.hub, self._live, day, now)
            self._fresh = ticket
            self._key = key
            self._gen += 1
            self._rows.clear()
            return True

    def _current(self, district: str | None) -> Doc:
        """The scope's summary from the current snapshot (built once a snapshot), and
        its streamed document moved on."""
        old = self._docs.get(district)
        if old is not None and old.gen == self._gen:
            if old.held:
                self._stream(old, district)
            return old
        assert self._snap is not None
        doc = summary(self._snap, self.hub.settings, district, TOP_BUILDINGS)
        if old is None:
            cur = self._docs[district] = Doc(self._gen, doc, _dumps(doc), 1, doc,
                                             self._now())
            self._history[(district, 1)] = doc
            return cur
        old.gen = self._gen
        if merge_patch(old.doc, doc).keys() > CHANGE_ONLY:  # more than the time read
            old.doc, old.text = doc, _dumps(doc)
            self._stream(old, district)
        elif old.held:
            self._stream(old, district)
        return old

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    def _stream(self, cur: Doc, district: str | None) -> None:
        """Move the streamed document to the summary: the counters at once, the tables
        when they last changed TABLE_SECONDS ago or more (else they wait, ``held``)."""
        now = self._now()
        changed = [p for p in TABLES if _part(cur.doc, p) != _part(cur.stream, p)]
        new = cur.doc
        if changed and now - cur.tables_at < TABLE_SECONDS:
            for path in changed:
                new = _with_part(new, path, _part(cur.stream, path))
            cur.held = True
        else:
            cur.held = False
            if changed:
                cur.tables_at = now
        patch = merge_patch(cur.stream, new)
        if patch.keys() <= CHANGE_ONLY:
            return
        cur.seq += 1
        cur.stream, cur.stream_text = new, None
        self._patches[(district, cur.seq - 1, cur.seq)] = _dumps(self._framed(new, patch))
        self._history[(district, cur.seq)] = new
        self._history.pop((district, cur.seq - HISTORY), None)
        for kept in (self._patches, self._frames):
            for k in [k for k in kept if k[0] == district and k[2] < cur.seq]:
                del kept[k]

    def _stream_text(self, cur: Doc) -> str:
        if cur.stream_text is None:
            cur.stream_text = cur.text if cur.stream is cur.doc else _dumps(cur.stream)
        return cur.stream_text

    @staticmethod
    def _framed(doc: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
        """A patch names its day and district (no-ops when merged), so a reader knows
        what it is about."""
        head = {"date": doc["date"]}
        if doc["district"] is not None:
            head["district"] = doc["district"]
        return {**head, **patch}

    async def text(self, district: str | None) -> str:
        """Today's summary for the city (None) or a district, as JSON text."""
        await self._refresh()
        return self._current(district).text

    async def buildings(self, district: str | None, order: Hashable = None,
                        arrange: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
                        | None = None) -> tuple[str, list[dict[str, Any]]]:
        """Today's date and every building's row in the scope (up to date as
        :meth:`text`), ``arrange``-d (filtered, sorted; kept for the snapshot by
        ``order``, which names the arrangement)."""
        await self._refresh()
        assert self._snap is not None
        rows = self._rows.get((self._gen, district, None))
        if rows is None:
            rows = self._rows[(self._gen, district, None)] = building_rows(
                self._snap, self.hub.settings, district)
        if arrange is not None:
            done = self._rows.get((self._gen, district, order))
            if done is None:
                done = self._rows[(self._gen, district, order)] = arrange(rows)
            rows = done
        return self._snap.day.isoformat(), rows

    @property
    def day(self) -> date | None:
        return self._snap.day if self._snap else None

    def listen(self, district: str | None) -> Listener:
        """A listener woken whenever the scope's summary changes."""
        listener = Listener(district)
        self._listeners.add(listener)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        return listener

    def forget(self, listener: Listener) -> None:
        self._listeners.discard(listener)

    async def first(self, listener: Listener) -> str:
        """The whole summary, to start a stream with."""
        await self._refresh()
        cur = self._current(listener.district)
        listener.sent = cur.seq
        return self._stream_text(cur)

    def message(self, listener: Listener) -> bytes | None:
        """The Server-Sent Event the listener has not got: ``event: patch`` with the merge
        patch from its document, or the whole summary when that one is no longer kept;
        None if nothing. Every listener at the same point gets the same bytes."""
        cur = self._docs.get(listener.district)
        if cur is None or listener.sent == cur.seq:
            return None
        sent, listener.sent = listener.sent, cur.seq
        before = self._history.get((listener.district, sent)) if sent is not None else None
        if before is None or sent is None:
            return f"data: {self._stream_text(cur)}\n\n".encode()
        key = (listener.district, sent, cur.seq)
        frame = self._frames.get(key)
        if frame is None:
            text = self._patches.get(key) or _dumps(self._framed(
                cur.stream, merge_patch(before, cur.stream)))
            frame = self._frames[key] = f"event: patch\ndata: {text}\n\n".encode()
        return frame

    async def close(self) -> None:
        """Tell every listener to stop (shutdown) and end the loop."""
        for listener in list(self._listeners):
            listener.closed = True
            listener.wake.set()
        self._listeners.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while self._listeners:
            try:
                await self._refresh()
                for listener in list(self._listeners):
                    if self._current(listener.district).seq != listener.sent:
                        listener.wake.set()
            except Exception:  # noqa: BLE001 - logged; the next poll tries again
                log.exception("ops.live.poll_failed")
            await asyncio.sleep(self.hub.settings.ops.poll_seconds)


def ops_live(hub: Hub) -> OpsLive:
    """The hub's :class:`OpsLive`, built on first use."""
    return hub.parts.setdefault(OpsLive, lambda: OpsLive(hub))
