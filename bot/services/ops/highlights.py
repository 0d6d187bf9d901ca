"""What needs action today: streets and buildings with several yellow or red
declarations, screened buildings with several people back from outside (their 14 days
of health observation to follow up), stores out of stock, handoffs waiting too long.
Every number named is at least ``ops.small_cell`` or a store's, never a small count of
people."""

from __future__ import annotations

import heapq
from typing import Any

from bot.config import Settings
from bot.services.ops.geo import OTHER_AREAS
from bot.services.ops.index import RISKY
from bot.services.ops.snapshot import Snapshot


def _risky(row: dict[str, Any], k: int) -> int | None:
    """A row's yellow + red declarations when shown (not "<k") and at least ``k``."""
    n = row.get("yellow_red")
    return n if isinstance(n, int) and n >= k and row["name"] != OTHER_AREAS else None


def _first(found: list[dict[str, Any]], kind: str, limit: int | None,
           more: int = 0) -> list[dict[str, Any]]:
    """The ``limit`` largest of one kind (most first), and one line for the rest
    (``more`` of them left out already)."""
    if limit is None or len(found) + more <= limit:
        return found
    ranked = sorted(found, key=lambda h: -h["count"])
    rest = len(ranked[limit:]) + more
    what = {"street_risk": ("个街道/社区", "more streets with several yellow/red declarations"),
            "building_risk": ("栋楼", "more buildings with several yellow/red declarations"),
            "screened_returned": ("栋楼", "more screened buildings with people back from "
                                         "outside")}[kind]
    return [*ranked[:limit], {"kind": f"{kind}_more", "count": rest,
                              "zh": f"另有 {rest} {what[0]}需关注（见楼栋/街道表）",
                              "en": f"{rest} {what[1]} (see the tables)"}]


def highlights(view: dict[str, Any], snap: Snapshot, settings: Settings,
               district: str | None = None, limit: int | None = None
               ) -> list[dict[str, Any]]:
    """What needs action in ``view`` (the city's or ``district``'s summary); buildings
    are read from the snapshot's index, so a summary that lists only the top buildings
    still names every one that needs action. With ``limit``, at most that many streets
    or buildings of a kind are named (the most first), and one line counts the rest."""
    k = settings.ops.small_cell
    streets: list[dict[str, Any]] = []
    for row in view["streets"]:
        if (risky := _risky(row, k)) is not None:
            streets.append({"kind": "street_risk", "district": row["district"],
                            "street": row["name"], "count": risky,
                            "zh": f"{row['name']}：今日黄/红码申报 {risky} 人",
                            "en": f"{row['name']}: {risky} yellow/red declarations today"})
    found = _first(streets, "street_risk", limit)
    index = snap.index
    districts = [district] if district is not None else sorted(index.keys["places"])

    def flagged(metric: str) -> tuple[list[tuple[tuple[str, str, str], int]], int]:
        """Buildings with at least ``k`` of ``metric`` (a district's kept until it
        changes); with ``limit``, the ``limit`` most, and how many more there are."""
        found: list[tuple[tuple[str, str, str], int]] = []
        total = 0
        rows: list[tuple[tuple[str, str, str], int]]
        for d in districts:
            rows = index.memoized(("flagged", metric, k), d, lambda d: sorted(
                (area, index.places[area][metric]) for area in index.keys["places"].get(d, ())
                if area[1] != OTHER_AREAS and index.places[area].get(metric, 0) >= k))
            found += rows
            total += len(rows)
        if limit is not None and total > limit:  # the most, and how many more
            return heapq.nsmallest(limit, found, key=lambda f: (-f[1], f[0])), total - limit
        return found, 0

    risky_places, more = flagged(RISKY)
    buildings = []
    for (d, street, place), n in risky_places:
        where = " ".join(x for x in (street, place) if x)
        buildings.append({"kind": "building_risk", "district": d, "street": street,
                          "building": place, "count": n,
                          "zh": f"{where}：今日黄/红码申报 {n} 人",
                          "en": f"{where}: {n} yellow/red declarations today"})
    found += _first(buildings, "building_risk", limit, more)
    returned, more = flagged("screen.returned")
    screened = []
    for (d, street, place), n in returned:
        where = " ".join(x for x in (street, place) if x)
        screened.append({"kind": "screened_returned", "district": d, "street": street,
                         "building": place, "count": n,
                         "zh": f"{where}：今日排查发现14天内外地返回 {n} 人，需落实健康观察",
                         "en": f"{where}: today's screenings found {n} people back from "
                               f"outside within 14 days (health observation to follow)"})
    found += _first(screened, "screened_returned", limit, more)
    for s in view["stock"]:
        if s["released"] > 0 and s["left"] == 0:
            found.append({"kind": "out_of_stock", "district": s["district"],
                          "store": s["store"],
                          "zh": f"{s['name']}（{s['store']}）{s['product']} 已无库存",
                          "en": f"{s['name']} ({s['store']}): {s['product']} out of stock"})
    handoffs = view.get("handoffs")
    wait = settings.ops.handoff_wait_minutes
    if handoffs and handoffs["oldest_minutes"] is not None and handoffs["oldest_minutes"] > wait:
        found.append({"kind": "handoff_waiting", "count": handoffs["waiting"],
                      "minutes": handoffs["oldest_minutes"],
                      "zh": f"{handoffs['waiting']} 个转人工请求在等待，最久 "
                            f"{handoffs['oldest_minutes']} 分钟",
                      "en": f"{handoffs['waiting']} handoffs waiting, the oldest for "
                            f"{handoffs['oldest_minutes']} minutes"})
    return found
