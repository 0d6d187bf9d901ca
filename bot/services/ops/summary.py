"""The operations view's JSON for one scope (the city, or one district), from a
:class:`~bot.services.ops.snapshot.Snapshot`.

City and district totals are exact. Below district level (streets, communities,
buildings, venues) a count from 1 to ``ops.small_cell - 1`` is shown as ``"<N"``, and an
area whose every count is that small is folded into its district's "other" row, so no
resident can be singled out by a count or by a free-text name.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from bot.config import Settings
from bot.services.ops import counters as m
from bot.services.ops.clock import trend_days
from bot.services.ops.geo import OTHER_AREAS, districts
from bot.services.ops.highlights import highlights
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
RISKY = "decl.yellow_red"  #: yellow + red, summed per area here (never stored)
STREET_METRICS = {"declarations": m.DECLARATIONS, **{c: m.color_metric(c) for c in m.COLORS},
                  "yellow_red": RISKY, "quarantine_home": m.HOME_QUARANTINE,
                  "screenings": m.SCREENINGS, "screened_quarantine": "screen.quarantine"}
BUILDING_METRICS = {"declarations": m.DECLARATIONS, "yellow": m.color_metric("yellow"),
                    "red": m.color_metric("red"), "yellow_red": RISKY,
                    "screenings": m.SCREENINGS, "people_quarantine": "screen.quarantine",
                    "people_returned": "screen.returned"}
RISKY_FROM = (m.color_metric("yellow"), m.color_metric("red"))


def small(n: int, k: int) -> Cell:
    """A count below district level: ``"<k"`` when 0 < n < k."""
    return f"<{k}" if 0 < n < k else n


def _group(rows: Counter[tuple[str, ...]], keep: dict[str, str], k: int,
           label_other: str) -> list[dict[str, Any]]:
    """Areas (key tuples) → rows of ``keep`` metrics, small ones merged and suppressed."""
    areas: dict[tuple[str, ...], Counter[str]] = {}
    for key, n in rows.items():
        areas.setdefault(key[:-1], Counter())[key[-1]] += n
    merged: dict[tuple[str, ...], Counter[str]] = {}
    for area, counts in areas.items():
        if not any(counts[metric] for metric in keep.values()):
            continue
        into = area if max(counts[metric] for metric in keep.values()) >= k else (
            area[0], label_other, *("" for _ in area[2:]))
        merged.setdefault(into, Counter()).update(counts)
    out = []
    for area, counts in sorted(merged.items()):
        row: dict[str, Any] = {"district": area[0], "name": area[1]}
        if len(area) > 2:
            row["place"] = area[2]
        row.update({name: small(counts[metric], k) for name, metric in keep.items()})
        out.append(row)
    return out


def summary(snap: Snapshot, settings: Settings, district: str | None = None) -> dict[str, Any]:
    """The view's numbers for the city (``district`` None) or one district."""
    k = settings.ops.small_cell

    def mine(d: str) -> bool:
        return district is None or d == district

    total: Counter[str] = Counter()
    streets: Counter[tuple[str, ...]] = Counter()
    buildings: Counter[tuple[str, ...]] = Counter()
    venues: Counter[tuple[str, str]] = Counter()
    by_district: Counter[tuple[str, str]] = Counter()
    for (d, street, place, metric), n in snap.area.items():
        if not mine(d):
            continue
        total[metric] += n
        by_district[(d, metric)] += n
        if metric == m.CHECKINS:
            if place:
                venues[(d, place)] += n
            continue
        for name in (metric, RISKY) if metric in RISKY_FROM else (metric,):
            if street:  # a street's (community's) row counts its buildings too
                streets[(d, street, name)] += n
            if place:
                buildings[(d, street, place, name)] += n
    trend: Counter[tuple[Any, str]] = Counter()
    for (day, d, metric), n in snap.trend.items():
        if mine(d):
            trend[(day, metric)] += n
    stock = [s for s in snap.stock if mine(s.district)]
    days = trend_days(snap.day)
    shown = [x for x in districts() if mine(x.code)]
    filed = [snap.resumption.get(x.code, (0, 0, 0)) for x in shown]
    f, a, firms = (sum(v[i] for v in filed) for i in range(3))
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
                       "communities": _group(streets, SCREEN, k, OTHER_STREETS),
                       "buildings": _group(buildings, SCREEN, k, OTHER_STREETS)},
        "checkins": {"total": total[m.CHECKINS],
                     "venues": [{"district": d, "venue": v, "count": small(n, k)}
                                for (d, v), n in sorted(venues.items())]},
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
        "districts": [_district_row(snap, by_district, x.code, x.zh, x.en, days)
                      for x in shown],
        "streets": _group(streets, STREET_METRICS, k, OTHER_STREETS),
        "buildings": _group(buildings, BUILDING_METRICS, k, OTHER_STREETS),
        "trend": {"days": [d.isoformat() for d in days],
                  **{name: [trend[(d, key)] for d in days] for name, key in TREND.items()}},
    }
    out["highlights"] = highlights(out, snap, settings)
    return out


def _handoffs(snap: Snapshot, keys: list[str]) -> dict[str, Any]:
    """Handoffs waiting in the scope (a district's: those whose flow named it)."""
    waits = [snap.handoffs[k] for k in keys]
    times = [t for _, t in waits if t is not None]
    oldest = min(times) if times else None
    return {"waiting": sum(n for n, _ in waits),
            "oldest_minutes": int((snap.at - oldest).total_seconds() // 60) if oldest else None}


def _district_row(snap: Snapshot, totals: Counter[tuple[str, str]], code: str, zh: str,
                  en: str, days: list[Any]) -> dict[str, Any]:
    def today(metric: str) -> int:
        return totals[(code, metric)]

    return {"district": code, "zh": zh, "en": en,
            "declarations": today(m.DECLARATIONS),
            **{c: today(m.color_metric(c)) for c in m.COLORS},
            "quarantine_home": today(m.HOME_QUARANTINE),
            "screenings": today(m.SCREENINGS), "checkins": today(m.CHECKINS),
            "reserved": today(m.RESERVED), "picked_up": today(m.PICKED_UP),
            "filings_submitted": today(m.filing_metric("submitted")),
            "trend": [snap.trend.get((d, code, m.DECLARATIONS), 0) for d in days]}
