"""Today's counts grouped the way the view shows them (by district, street, building,
venue), kept up to date change by change.

:class:`DayIndex` holds the finest-grain counts (district, street, place, metric) and the
sums the summary reads: a district's totals, a street's (its buildings included), a
building's, a venue's. :meth:`DayIndex.add` moves each of them by one delta, so a live
process applies the events that arrived instead of regrouping the whole day, and a
summary reads a few hundred street rows rather than every building's counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from bot.services.ops import counters as m

Area = tuple[str, str, str, str]  #: district, street, place, metric
RISKY = "decl.yellow_red"  #: yellow + red, summed per area here (never stored)
T = TypeVar("T")
RISKY_FROM = frozenset((m.color_metric("yellow"), m.color_metric("red")))


class DayIndex:
    """One city day's counts by area, and their sums by district, street and building."""

    def __init__(self, area: Mapping[Area, int] = ()) -> None:  # type: ignore[assignment]
        self.area: Counter[Area] = Counter()
        #: district → metric → n (exact)
        self.totals: dict[str, Counter[str]] = {}
        #: (district, street) → metric → n, the street's buildings included, and RISKY
        self.streets: dict[tuple[str, str], Counter[str]] = {}
        #: (district, street, place) → metric → n, and RISKY (check-ins are venues')
        self.places: dict[tuple[str, str, str], Counter[str]] = {}
        self.venues: Counter[tuple[str, str]] = Counter()  #: (district, venue) → check-ins
        #: district → the keys of ``streets`` / ``places`` in it
        self.keys: dict[str, dict[str, set[Any]]] = {"streets": {}, "places": {}}
        #: district → changes so far: what is built from a district's counts (its rows)
        #: is kept in ``memo`` with this number and built again once it moved
        self.changes: Counter[str] = Counter()
        self.memo: dict[tuple[Any, ...], tuple[int, Any]] = {}
        for key, n in dict(area).items():
            self.add(key, n)

    def add(self, key: Area, n: int) -> None:
        """``n`` more (or fewer) of ``key``'s metric in ``key``'s area."""
        if not n:
            return
        self.area[key] += n
        if not self.area[key]:
            del self.area[key]
        d, street, place, metric = key
        self.changes[d] += 1
        self.totals.setdefault(d, Counter())[metric] += n
        if metric == m.CHECKINS:
            if place:
                self.venues[(d, place)] += n
            return
        names = (metric, RISKY) if metric in RISKY_FROM else (metric,)
        if street:
            counts = self._area("streets", self.streets, (d, street))
            for name in names:
                counts[name] += n
        if place:
            counts = self._area("places", self.places, (d, street, place))
            for name in names:
                counts[name] += n

    def _area(self, kind: str, areas: dict[Any, Counter[str]], key: tuple[str, ...]
              ) -> Counter[str]:
        counts = areas.get(key)
        if counts is None:
            counts = areas[key] = Counter()
            self.keys[kind].setdefault(key[0], set()).add(key)
        return counts

    def memoized(self, what: tuple[Any, ...], district: str, build: Callable[[str], T]) -> T:
        """``build(district)`` (``what`` names it), again only once the district's
        counts changed."""
        key = (*what, district)
        hit = self.memo.get(key)
        if hit is None or hit[0] != self.changes[district]:
            hit = self.memo[key] = (self.changes[district], build(district))
        value: T = hit[1]
        return value

    def move_to(self, new: Mapping[Area, int], keys: Iterable[Area] | None = None) -> int:
        """Make the counts equal ``new`` (only ``keys`` may differ, when given); returns
        how many areas changed."""
        changed = 0
        for key in set(self.area) | set(new) if keys is None else set(keys):
            delta = new.get(key, 0) - self.area.get(key, 0)
            if delta:
                self.add(key, delta)
                changed += 1
        return changed
