"""The operations view's JSON for one scope (the city, or one district), from a
:class:`~bot.services.ops.snapshot.Snapshot`.

City and district totals are exact. Below district level (streets, communities,
buildings, venues) a count from 1 to ``ops.small_cell - 1`` is shown as ``"<N"``, and an
area whose every count is that small is folded into its district's "other" row, so no
resident can be singled out by a count or by a free-text name.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from typing import Any

from bot.config import Settings
from bot.services.ops import counters as m
from bot.services.ops.clock import trend_days
from bot.services.ops.geo import OTHER_AREAS, districts
from bot.services.ops.highlights import highlights
from bot.services.ops.index import RISKY, DayIndex
from bot.services.ops.snapshot import Snapshot

Cell = int | str
OTHER_STREETS = OTHER_AREAS  #: the street row that gathers streets whose every count is small
#: the 14-day series: every number of the day that is counted by day
TREND = {"declarations": m.DECLARATIONS, "green": m.color_metric("green"),
         "yellow": m.color_metric("yellow"), "red": m.color_metric("red"),
         "codes_issued": m.CODES_ISSUED, "codes_revoked": m.CODES_REVOKED,
         "quarantine_home": m.HOME_QUARANTINE, "screenings": m.SCREENINGS,
         "checkins": m.CHECKINS, "reserved": m.RESERVED, "picked_up": m.PICKED_UP,
         "expired": m.EXPIRED, "cancelled": m.CANCELLED,
         "filings_submitted": m.filing_metric("submitted"),
         "filings_approved": m.filing_metric("approved")}
SCREEN = {"records": m.SCREENINGS, "households": "screen.households",
          "people_home": "screen.home", "people_quarantine": "screen.quarantine",
          "people_returned": "screen.returned"}
STREET_METRICS = {"declarations": m.DECLARATIONS, **{c: m.color_metric(c) for c in m.COLORS},
                  "yellow_red": RISKY, "quarantine_home": m.HOME_QUARANTINE,
                  "screenings": m.SCREENINGS, "screened_quarantine": "screen.quarantine"}
BUILDING_METRICS = {"declarations": m.DECLARATIONS, "yellow": m.color_metric("yellow"),
                    "red": m.color_metric("red"), "yellow_red": RISKY,
                    "screenings": m.SCREENINGS, "people_quarantine": "screen.quarantine",
                    "people_returned": "screen.returned"}
#: the per-building table (its own route): declarations and screenings side by side
BUILDING_ALL = {**BUILDING_METRICS, "households": "screen.households",
                "people_home": "screen.home"}
TOP_BUILDINGS = 10  #: buildings the live summary lists (the page loads the rest by page)


def small(n: int, k: int) -> Cell:
    """A count below district level: ``"<k"`` when 0 < n < k."""
    return f"<{k}" if 0 < n < k else n


def _rows(items: Iterable[tuple[tuple[str, ...], Counter[str]]], keep: dict[str, str],
          k: int) -> list[dict[str, Any]]:
    """Areas (district, street[, place]) → rows of ``keep`` metrics, those whose every
    count is small merged into their district's "other" row, small cells suppressed."""
    metrics = list(keep.values())
    merged: dict[tuple[str, ...], list[int]] = {}
    for area, counts in items:
        values = [counts.get(metric, 0) for metric in metrics]
        if not any(values):
            continue
        into = area if max(values) >= k else (area[0], OTHER_STREETS,
                                              *("" for _ in area[2:]))
        if (sums := merged.get(into)) is None:
            merged[into] = values
        else:
            merged[into] = [a + b for a, b in zip(sums, values, strict=True)]
    return [_row(area, keep, values, k) for area, values in sorted(merged.items())]


def _row(area: tuple[str, ...], keep: dict[str, str], values: list[int],
         k: int) -> dict[str, Any]:
    row: dict[str, Any] = {"district": area[0], "name": area[1]}
    if len(area) > 2:
        row["place"] = area[2]
    row.update({name: small(n, k) for name, n in zip(keep, values, strict=True)})
    return row


def _districts(index: DayIndex, kind: str, district: str | None) -> list[str]:
    return [district] if district is not None else sorted(index.keys[kind])


def _scoped(index: DayIndex, kind: str, keep: dict[str, str], name: str, k: int,
            district: str | None) -> list[dict[str, Any]]:
    """:func:`_rows` of ``kind`` (``streets`` or ``places``) in the scope, built a
    district at a time and kept until that district's counts change."""
    areas = getattr(index, kind)
    out: list[dict[str, Any]] = []
    for d in _districts(index, kind, district):
        out += index.memoized(("rows", kind, name, k), d, lambda d: _rows(
            ((a, areas[a]) for a in index.keys[kind].get(d, ())), keep, k))
    return out


def _top(index: DayIndex, keep: dict[str, str], name: str, rank: tuple[str, str], k: int,
         district: str | None, n: int) -> list[dict[str, Any]]:
    """The ``n`` buildings first by ``rank`` (two metrics, most first) among those shown
    by name (a count of at least ``k``): each district's first ``n``, then the scope's."""
    first, second = rank
    places = index.places
    metrics = list(keep.values())

    def district_top(d: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        ranked = sorted(index.keys["places"].get(d, ()), key=lambda a: (
            -places[a].get(first, 0), -places[a].get(second, 0), a))
        out = []
        for area in ranked:
            counts = places[area]
            values = [counts.get(metric, 0) for metric in metrics]
            if max(values) >= k:
                order = (-counts.get(first, 0), -counts.get(second, 0), area)
                out.append((order, _row(area, keep, values, k)))
                if len(out) == n:
                    break
        return out

    found: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    for d in _districts(index, "places", district):
        found += index.memoized(("top", name, k, n), d, district_top)
    return [row for _, row in heapq.nsmallest(n, found, key=lambda c: c[0])]


def building_rows(snap: Snapshot, settings: Settings, district: str | None = None,
                  community: str | None = None) -> list[dict[str, Any]]:
    """Every building's row (declarations and screenings) in the city, a district or one
    of its streets/communities (``name``), small ones merged into "other"."""
    rows = _scoped(snap.index, "places", BUILDING_ALL, "all", settings.ops.small_cell,
                   district)
    return rows if community is None else [r for r in rows if r["name"] == community]


def summary(snap: Snapshot, settings: Settings, district: str | None = None,
            buildings: int | None = None) -> dict[str, Any]:
    """The view's numbers for the city (``district`` None) or one district; with
    ``buildings``, only that many buildings (the most yellow + red, the most people back
    from outside) rather than every one (the full table: :func:`building_rows`)."""
    k = settings.ops.small_cell
    index = snap.index

    def mine(d: str) -> bool:
        return district is None or d == district

    total: Counter[str] = Counter()
    for d, counts in index.totals.items():
        if mine(d):
            total.update(counts)
    trend: Counter[tuple[Any, str]] = Counter()
    for (day, d, metric), n in snap.trend.items():
        if mine(d):
            trend[(day, metric)] += n
    stock = [s for s in snap.stock if mine(s.district)]
    days = trend_days(snap.day)
    shown = [x for x in districts() if mine(x.code)]
    filed = [snap.resumption.get(x.code, (0, 0, 0)) for x in shown]
    f, a, firms = (sum(v[i] for v in filed) for i in range(3))
    if buildings is None:
        screened = _scoped(index, "places", SCREEN, "screen", k, district)
        listed = _scoped(index, "places", BUILDING_METRICS, "building", k, district)
    else:
        screened = _top(index, SCREEN, "screen", ("screen.returned", m.SCREENINGS), k,
                        district, buildings)
        listed = _top(index, BUILDING_METRICS, "building", (RISKY, m.DECLARATIONS), k,
                      district, buildings)
    out: dict[str, Any] = {
        "date": snap.day.isoformat(), "district": district,
        "timezone": settings.ops.timezone, "generated_at": snap.at.isoformat(),
        "small_cell": k,
        "declarations": {"total": total[m.DECLARATIONS],
                         **{c: total[m.color_metric(c)] for c in m.COLORS}},
        "quarantine": {"home": total[m.HOME_QUARANTINE],
                       "screened": total["screen.quarantine"]},
        "codes": {"issued": total[m.CODES_ISSUED], "revoked": total[m.CODES_REVOKED],
                  "paper": total[m.PAPER_CODES]},
        "screenings": {**{name: total[metric] for name, metric in SCREEN.items()},
                       "communities": _scoped(index, "streets", SCREEN, "screen", k,
                                              district),
                       "buildings": screened},
        "checkins": {"total": total[m.CHECKINS],
                     "venues": [{"district": d, "venue": v, "count": small(n, k)}
                                for (d, v), n in sorted(index.venues.items())
                                if n and mine(d)]},
        "reservations": {"released": sum(s.released for s in stock),
                         "reserved": total[m.RESERVED], "picked_up": total[m.PICKED_UP],
                         "expired": total[m.EXPIRED], "cancelled": total[m.CANCELLED],
                         "stock_left": sum(s.remaining for s in stock)},
        "stock": [{"store": s.store, "name": s.name, "district": s.district,
                   "product": s.product, "released": s.released, "left": s.remaining}
                  for s in stock],
        "filings": {metric.split(".", 1)[1]: n for metric, n in sorted(total.items())
                    if metric.startswith("filings.")},
        "resumption": {"filed": f, "approved": a, "firms": firms,
                       "rate": round(a / (firms or f), 4) if (firms or f) else None},
        "handoffs": _handoffs(snap, [d for d in snap.handoffs if mine(d)]),
        "districts": [_district_row(snap, index.totals.get(x.code, Counter()), x.code,
                                    x.zh, x.en, days) for x in shown],
        "streets": _scoped(index, "streets", STREET_METRICS, "street", k, district),
        "buildings": listed,
        "trend": {"days": [d.isoformat() for d in days],
                  **{name: [trend[(d, key)] for d in days] for name, key in TREND.items()}},
    }
    out["highlights"] = highlights(out, snap, settings, district, buildings)
    return out


def _handoffs(snap: Snapshot, keys: list[str]) -> dict[str, Any]:
    """Handoffs waiting in the scope (a district's: those whose flow named it)."""
    waits = [snap.handoffs[k] for k in keys]
    times = [t for _, t in waits if t is not None]
    oldest = min(times) if times else None
    return {"waiting": sum(n for n, _ in waits),
            "oldest_minutes": int((snap.at - oldest).total_seconds() // 60) if oldest else None}


def _district_row(snap: Snapshot, totals: Counter[str], code: str, zh: str,
                  en: str, days: list[Any]) -> dict[str, Any]:
    def today(metric: str) -> int:
        return totals[metric]

    return {"district": code, "zh": zh, "en": en,
            "declarations": today(m.DECLARATIONS),
            **{c: today(m.color_metric(c)) for c in m.COLORS},
            "quarantine_home": today(m.HOME_QUARANTINE),
            "screenings": today(m.SCREENINGS), "checkins": today(m.CHECKINS),
            "reserved": today(m.RESERVED), "picked_up": today(m.PICKED_UP),
            "filings_submitted": today(m.filing_metric("submitted")),
            "trend": [snap.trend.get((d, code, m.DECLARATIONS), 0) for d in days]}
