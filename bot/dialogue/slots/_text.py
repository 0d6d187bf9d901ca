"""Helpers shared by the slot parsers: normalisation, Chinese numerals, numbers, masking."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

#: Chinese digits, including the financial forms; 两 only counts before a unit.
CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3,
    "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7,
    "八": 8, "捌": 8, "九": 9, "玖": 9,
}  # fmt: skip
_CN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG = {"万": 10_000, "萬": 10_000, "亿": 100_000_000}
_ARABIC = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_TRAILING = re.compile(r"[\s.。!！?？~～,，、;；]+$")


def norm(text: str) -> str:
    """NFKC (full-width to half-width, ① to 1, ℃ to °C), then strip whitespace."""
    return unicodedata.normalize("NFKC", text).strip()


def loose(text: str) -> str:
    """``norm``, case-folded, inner whitespace collapsed, trailing punctuation removed."""
    return _TRAILING.sub("", " ".join(norm(text).casefold().split()))


def is_ascii_digits(s: str) -> bool:
    """True for a non-empty run of 0-9 only (``str.isdigit`` also admits ², ٣ …)."""
    return bool(s) and s.isascii() and s.isdigit()


def cn_int(s: str) -> int | None:
    """Read a Chinese numeral (十二, 两百, 一千二, 一百零五, 二〇二〇); None if it is not one."""
    if not s:
        return None
    if all(c in CN_DIGITS for c in s):
        if len(s) > 1 and "两" in s:
            return None
        return int("".join(str(CN_DIGITS[c]) for c in s))
    total = section = 0
    digit: int | None = None
    zero = False
    last = 0
    small_cap, big_cap = 10_000, 10**12
    for i, c in enumerate(s):
        if c in CN_DIGITS:
            if digit:  # two digits in a row (一二十) is not a number
                return None
            digit = CN_DIGITS[c]
            zero = zero or digit == 0
        elif c in _CN_UNITS:
            unit = _CN_UNITS[c]
            if unit >= small_cap:
                return None
            if digit is None and unit == 10 and (i == 0 or s[i - 1] in _CN_BIG):
                digit = 1  # 十二 = 12
            if not digit:
                return None
            section += digit * unit
            small_cap, last, digit, zero = unit, unit, None, False
        elif c in _CN_BIG:
            big = _CN_BIG[c]
            section += digit or 0
            if big >= big_cap or section == 0:
                return None
            total += section * big
            section, digit, zero, last = 0, None, False, big
            big_cap, small_cap = big, 10_000
        else:
            return None
    if digit:
        if not zero and len(s) > 1 and (s[-2] in _CN_UNITS or s[-2] in _CN_BIG):
            digit *= last // 10  # 一千二 = 1200, 两万五 = 25000
        section += digit
    return total + section


def whole(s: str) -> int | None:
    """Arabic digits or a Chinese numeral as an int."""
    return int(s) if is_ascii_digits(s) else cn_int(s)


def parse_number(s: str) -> Decimal | None:
    """Read 12, -3, 1,200, 3.5, 三点五, 负二, 十二; None if ``s`` is not a number."""
    s = s.replace(" ", "")
    if len(s) > 40:  # no answer is that long; also keeps int() clear of its digit limit
        return None
    if _ARABIC.fullmatch(s):
        return Decimal(s.replace(",", ""))
    sign = 1
    if s[:1] in ("负", "-"):
        sign, s = -1, s[1:]
    head, dot, tail = s.partition("点")
    if "点" in tail:
        return None
    value = whole(head)
    if value is None:
        return None
    if dot:
        if not tail or not all(c in CN_DIGITS and c != "两" or c in "0123456789" for c in tail):
            return None
        frac = "".join(str(CN_DIGITS.get(c, c)) for c in tail)
        try:
            return sign * Decimal(f"{value}.{frac}")
        except InvalidOperation:  # pragma: no cover - digits only, cannot happen
            return None
    return Decimal(sign * value)


def fmt_number(value: float | int | Decimal) -> str:
    """12 → "12", 3.50 → "3.5", 1200.0 → "1200" (no exponent)."""
    text = format(Decimal(str(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def check_number_params(
    params: Mapping[str, Any], low: str, high: str, *, integral: bool, at_least: int | None = None
) -> list[str]:
    """Problems with a pair of numeric bounds such as ``min``/``max``."""
    problems: list[str] = []
    found: dict[str, float] = {}
    kinds = (int,) if integral else (int, float)
    for key in (low, high):
        if key not in params or params[key] is None:
            continue
        value = params[key]
        if isinstance(value, bool) or not isinstance(value, kinds):
            kind = "a whole number" if integral else "a number"
            problems.append(f"{key} must be {kind}, not {value!r}")
        elif at_least is not None and value < at_least:
            problems.append(f"{key} must be at least {at_least}, not {value!r}")
        else:
            found[key] = value
    if low in found and high in found and found[low] > found[high]:
        problems.append(f"{low} ({found[low]}) is greater than {high} ({found[high]})")
    return problems


def check_bool_params(params: Mapping[str, Any], *keys: str) -> list[str]:
    """Problems with flags that must be true or false."""
    return [
        f"{key} must be true or false, not {params[key]!r}"
        for key in keys
        if key in params and not isinstance(params[key], bool)
    ]
