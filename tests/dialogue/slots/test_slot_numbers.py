"""integer and decimal: real-world spellings, errors, properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slot_helpers import refused, run

from bot.dialogue.slots import SLOT_TYPES


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", 12), (" 12 ", 12), ("１２", 12), ("十二", 12), ("十", 10), ("二十五", 25),
        ("0", 0), ("零", 0), ("1,200", 1200), ("1，200", 1200), ("一千二百", 1200),
        ("一千二", 1200), ("两百", 200), ("两万五", 25000), ("一百零五", 105),
        ("一千零二十", 1020), ("三百五十", 350), ("一万二千三百四十五", 12345),
        ("3个", 3), ("三口人", 3), ("5人", 5), ("2.0", 2), ("壹佰", 100), ("十万", 100000),
        ("12。", 12), ("+7", 7),
    ],
)  # fmt: skip
def test_integer_spellings(text: str, value: int) -> None:
    assert run("integer", text) == value


@pytest.mark.parametrize(
    ("text", "zh", "en"),
    [
        ("", "数字", "number"),
        ("abc", "数字", "number"),
        ("1,2", "数字", "number"),
        ("1,20,0", "数字", "number"),
        ("一二十", "数字", "number"),
        ("1.5", "整数", "whole number"),
        ("三点五", "整数", "whole number"),
        ("-3", "负数", "negative"),
        ("负三", "负数", "negative"),
    ],
)
def test_integer_errors(text: str, zh: str, en: str) -> None:
    error = refused("integer", text)
    assert zh in error.zh and en in error.en


def test_integer_bounds() -> None:
    assert run("integer", "-3", min=-5) == -3
    assert "-5" in refused("integer", "-6", min=-5).en
    assert "1" in refused("integer", "0", min=1).zh
    assert "1" in refused("integer", "0", min=1).en
    assert "10" in refused("integer", "十一", max=10).zh
    assert run("integer", "10", min=1, max=10) == 10


@pytest.mark.parametrize(
    ("text", "value"),
    [("3.5", 3.5), ("三点五", 3.5), ("十二点零五", 12.05), ("12", 12.0), ("1,200.5", 1200.5),
     ("０.５", 0.5), ("37点2", 37.2)],
)  # fmt: skip
def test_decimal_spellings(text: str, value: float) -> None:
    assert run("decimal", text) == value
    assert isinstance(run("decimal", text), float)


def test_decimal_errors_and_display() -> None:
    assert "数字" in refused("decimal", "三点").zh
    assert "negative" in refused("decimal", "-0.5").en
    assert run("decimal", "-0.5", min=-1.5) == -0.5
    assert "2.5" in refused("decimal", "3", max=2.5).en
    assert SLOT_TYPES["decimal"].display(3.5, "zh", {}) == "3.5"
    assert SLOT_TYPES["decimal"].display(1200.0, "en", {}) == "1200"


@given(st.integers(min_value=0, max_value=10**15))
def test_comma_grouped_integers_parse_back(n: int) -> None:
    assert run("integer", f"{n:,}") == n
    assert run("integer", str(n)) == n


def to_chinese(n: int) -> str:
    """Standard Chinese reading of 0 <= n < 10**12 (一万零五百, 十二), written independently."""
    digits = "零一二三四五六七八九"
    if n == 0:
        return "零"

    def section(k: int) -> str:
        out, zero = "", False
        for unit, size in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
            d = k // size % 10
            if d == 0:
                zero = bool(out)
            else:
                out += ("零" if zero else "") + digits[d] + unit
                zero = False
        return out

    parts, out = [(n // 10**8, "亿"), (n // 10**4 % 10**4, "万"), (n % 10**4, "")], ""
    for k, big in parts:
        if k:
            lead_zero = bool(out) and k < 1000
            out += ("零" if lead_zero else "") + section(k) + big
    return out[1:] if out.startswith("一十") else out


@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_chinese_numerals_parse_back(n: int) -> None:
    assert run("integer", to_chinese(n)) == n


@given(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(min_value=0, max_value=99),
)
def test_decimals_parse_back(whole: int, cents: int) -> None:
    text = f"{whole}.{cents:02d}"
    assert run("decimal", text, min=-(10**7)) == float(text)
