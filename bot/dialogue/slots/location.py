"""``location``: a shared location {lat, lng, label}; text only when ``allow_text``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from ._text import check_bool_params, norm
from .base import Answer, ParseContext, SlotParseError, SlotType

_NO_FIX = SlotParseError(
    "没有收到有效的定位，请重新发送位置", "The location came without a fix; please share it again"
)


def _coordinate(raw: Any, limit: float) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) and -limit <= value <= limit else None


class LocationSlot(SlotType):
    """A shared location; value ``{"lat", "lng", "label"}``, or ``{"label": text}``
    for a typed answer when param ``allow_text`` is true."""

    name: ClassVar[str] = "location"
    params: ClassVar[frozenset[str]] = frozenset({"allow_text"})

    def parse(self, answer: Answer, ctx: ParseContext) -> dict[str, Any]:
        if answer.location is not None:
            where = answer.location
            if not isinstance(where, Mapping):
                raise _NO_FIX
            lat, lng = _coordinate(where.get("lat"), 90), _coordinate(where.get("lng"), 180)
            if lat is None or lng is None or (lat == 0 and lng == 0):
                raise _NO_FIX
            label = where.get("label")
            return {"lat": lat, "lng": lng, "label": norm(label) if isinstance(label, str) else ""}
        text = " ".join(norm(answer.text).split())
        if ctx.params.get("allow_text") and text:
            return {"label": text[:200]}
        if ctx.params.get("allow_text"):
            raise SlotParseError(
                "请发送位置，或输入地址", "Please share your location or type the address"
            )
        raise SlotParseError(
            "请点击“+” →“位置”分享您所在的位置",
            'Please share your location (tap "+" then "Location")',
        )

    def display(self, value: Any, lang: str, params: Mapping[str, Any]) -> str:
        if value.get("label"):
            return str(value["label"])
        return f"{value['lat']:.5f}, {value['lng']:.5f}"

    def check_params(self, params: Mapping[str, Any]) -> list[str]:
        return check_bool_params(params, "allow_text")
