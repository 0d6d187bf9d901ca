"""Helpers shared by the filing tests (imported by name: tests are not a package)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.clock import CITY_TZ

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: GB 32100-2015 weights of the first 17 characters (recomputed here, not taken from the
#: library under test)
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
#: Monday 10 February 2020, 09:00 in the city
START = datetime(2020, 2, 10, 9, 0, tzinfo=CITY_TZ).astimezone(UTC)


def check_char(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def make_uscc(n: int) -> str:
    """A valid USCC, different for each ``n``."""
    first = f"91420100{n:09d}"
    return first + check_char(first)


def body(n: int = 1, **changes: Any) -> dict[str, Any]:
    """A valid JSON filing for firm ``n``; ``changes`` override fields."""
    data: dict[str, Any] = {
        "firm_name": f"武汉第{n}机械厂", "uscc": make_uscc(n), "industry": "manufacturing",
        "district": "jiangan", "street": "花桥街", "address": "解放大道 1号",
        "contact_name": "王小明", "contact_phone": "13812345678", "staff_total": 100,
        "staff_returning": 60,
        "staff_origins": [{"province": "湖北", "city": "武汉", "count": 40},
                          {"province": "河南", "city": "信阳", "count": 20}],
        "staff_risk_14d": 0, "isolation_rooms": 2, "prevention_lead": "李防疫",
        "supplies_days": {"masks": 14, "thermometers": 30, "disinfectant": 30},
        "planned_start": "2020-02-17", "capacity_percent": 50,
        "needs": ["raw_materials", "financing"], "pledge": True}
    data.update(changes)
    return data
