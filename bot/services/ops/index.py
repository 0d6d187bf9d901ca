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
from collections.abc import Iterable, Mapping

from bot.services.ops import counters as m

Area = tuple[str, str, str, str]  #: district, street, place, metric
RISKY = "decl.yellow_red"  #: yellow + red, summed per area here (never stored)
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
        self.totals.setdefault(d, Counter())[metric] += n
        if metric == m.CHECKINS:
            if place:
                self.venues[(d, place)] += n
            return
        names = (metric, RISKY) if metric in RISKY_FROM else (metric,)
        if street:
            counts = self.streets.setdefault((d, street), Counter())
            for name in names:
                counts[name] += n
        if place:
            counts = self.places.setdefault((d, street, place), Counter())
            for name in names:
                counts[name] += n

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
