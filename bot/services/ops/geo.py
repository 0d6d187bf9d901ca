"""The demo city's districts, from the GeoJSON the project ships (``wuhan.geo.json``): the
map's shapes, and the district codes and names every view uses."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

GEOJSON = Path(__file__).with_name("wuhan.geo.json")
OTHER = "other"  #: declarations from "another district", and anything not on the map
#: the row below district level that gathers areas whose every count is small
OTHER_AREAS = "(其他 / other)"


@dataclass(frozen=True)
class District:
    code: str
    zh: str
    en: str


@lru_cache(maxsize=1)
def shapes() -> dict[str, Any]:
    """The GeoJSON document (read once)."""
    data: dict[str, Any] = json.loads(GEOJSON.read_text(encoding="utf-8"))
    return data


@lru_cache(maxsize=1)
def districts() -> tuple[District, ...]:
    """The city's districts in map order, then ``other``."""
    found = [District(f["properties"]["code"], f["properties"]["zh"], f["properties"]["en"])
             for f in shapes()["features"]]
    return (*found, District(OTHER, "其他区", "Another district"))


@lru_cache(maxsize=1)
def _codes() -> dict[str, str]:
    names: dict[str, str] = {}
    for d in districts():
        for name in (d.code, d.zh, d.zh.removesuffix("区"), d.en.lower()):
            names[name.lower()] = d.code
    return names


def district_code(name: str) -> str:
    """A district as stored anywhere (a code, 江岸区, 江岸, Jiang'an) → its code; blank
    stays blank, anything else is ``other``."""
    if not name:
        return ""
    return _codes().get(name.strip().lower(), OTHER)
