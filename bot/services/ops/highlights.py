"""What needs action today: streets and buildings with several yellow or red
declarations, screened buildings with several people back from outside (their 14 days
of health observation to follow up), stores out of stock, handoffs waiting too long.
Every number named is at least ``ops.small_cell`` or a store's, never a small count of
people."""

from __future__ import annotations

from typing import Any

from bot.config import Settings
from bot.services.ops.geo import OTHER_AREAS
from bot.services.ops.snapshot import Snapshot


def _risky(row: dict[str, Any], k: int) -> int | None:
    """A row's yellow + red declarations when shown (not "<k") and at least ``k``."""
    n = row.get("yellow_red")
    return n if isinstance(n, int) and n >= k and row["name"] != OTHER_AREAS else None


def highlights(view: dict[str, Any], snap: Snapshot, settings: Settings) -> list[dict[str, Any]]:
    k = settings.ops.small_cell
    found: list[dict[str, Any]] = []
    for row in view["streets"]:
        if (risky := _risky(row, k)) is not None:
            found.append({"kind": "street_risk", "district": row["district"],
                          "street": row["name"], "count": risky,
                          "zh": f"{row['name']}：今日黄/红码申报 {risky} 人",
                          "en": f"{row['name']}: {risky} yellow/red declarations today"})
    for row in view["buildings"]:
        if (risky := _risky(row, k)) is not None and row["place"]:
            where = " ".join(x for x in (row["name"], row["place"]) if x)
            found.append({"kind": "building_risk", "district": row["district"],
                          "street": row["name"], "building": row["place"], "count": risky,
                          "zh": f"{where}：今日黄/红码申报 {risky} 人",
                          "en": f"{where}: {risky} yellow/red declarations today"})
    for row in view["screenings"]["buildings"]:  # district → community → building
        n = row.get("people_returned")
        if isinstance(n, int) and n >= k and row["name"] != OTHER_AREAS and row["place"]:
            where = " ".join(x for x in (row["name"], row["place"]) if x)
            found.append({"kind": "screened_returned", "district": row["district"],
                          "street": row["name"], "building": row["place"], "count": n,
                          "zh": f"{where}：今日排查发现14天内外地返回 {n} 人，需落实健康观察",
                          "en": f"{where}: today's screenings found {n} people back from "
                                f"outside within 14 days (health observation to follow)"})
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
