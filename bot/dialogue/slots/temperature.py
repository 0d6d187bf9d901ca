"""``temperature``: a body temperature in °C (37.5, 37.5℃, 37度5, 三十六点八, 98.6°F)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

from ._text import CN_DIGITS, fmt_number, loose, parse_number, whole
from .base import Answer, ParseContext, SlotParseError, SlotType

LOWEST, HIGHEST = Decimal("34.0"), Decimal("43.0")
_PREFIX = re.compile(r"^(?:体温|温度|temperature|temp)\s*(?:是|为|:)?\s*")
_CELSIUS = ("摄氏度", "度c", "degreesc", "degreec", "degrees", "degree", "celsius", "deg",
            "°c", "°", "度", "c")  # fmt: skip
_FAHRENHEIT = ("华氏度", "fahrenheit", "degreesf", "degreef", "°f", "f")
#: 37度5 / 三十七度五: whole degrees, 度, then tenths
_DU_TENTHS = re.compile(r"(.+?)度([0-9零〇一二三四五六七八九])(?:分)?")


def _read(text: str) -> tuple[Decimal, str | None] | None:
    """(number, "C" | "F" | None when no unit) or None."""
    s = _PREFIX.sub("", loose(text).replace(" ", ""))
    du = _DU_TENTHS.fullmatch(s)
    if du:
        degrees = whole(du.group(1))
        tenth = CN_DIGITS.get(du.group(2), None)
        tenth = int(du.group(2)) if tenth is None else tenth
        return (Decimal(degrees) + Decimal(tenth) / 10, "C") if degrees is not None else None
    unit = None
    for suffixes, name in ((_FAHRENHEIT, "F"), (_CELSIUS, "C")):
        found = next((x for x in suffixes if s.endswith(x) and len(s) > len(x)), None)
        if found:
            s, unit = s[: -len(found)], name
            break
    value = parse_number(s)
    return None if value is None else (value, unit)


class TemperatureSlot(SlotType):
    """A body temperature; value in °C rounded to 0.1, between 34.0 and 43.0. No params.

    °F is converted only when an F is given; a bare 98.6 is refused with a hint.
    """

    name: ClassVar[str] = "temperature"

    def parse(self, answer: Answer, ctx: ParseContext) -> float:
        read = _read(answer.text)
        if read is None:
            raise SlotParseError(
                "请输入体温，例如 36.5 或 36.5℃", "Please enter a temperature, e.g. 36.5 or 36.5°C"
            )
        value, unit = read
        if unit == "F":
            value = (value - 32) * 5 / 9
        if LOWEST - 1 < value < HIGHEST + 1:  # quantize only sane magnitudes
            celsius = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            if LOWEST <= celsius <= HIGHEST:
                return float(celsius)
        shown = fmt_number(read[0])
        if unit is None and 93 <= value <= 110:
            raise SlotParseError(
                f"请核对：{shown} 不是摄氏体温；如果是华氏度请写 {shown}F",
                f"Please check: {shown} is not a body temperature in °C; "
                f"for Fahrenheit write {shown}F",
            )
        raise SlotParseError(
            f"请核对：{shown} 不是正常的体温读数（应在34–43℃之间）",
            f"Please check: {shown} is not a body temperature (expected 34–43°C)",
        )

    def display(self, value: Any, lang: str, params: Mapping[str, Any]) -> str:
        return f"{float(value):.1f}℃"
