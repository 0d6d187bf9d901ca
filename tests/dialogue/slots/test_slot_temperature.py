"""temperature: °C spellings, Chinese readings, °F conversion, plausibility."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slot_helpers import refused, run

from bot.dialogue.slots import SLOT_TYPES


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("37.5", 37.5),
        ("37.5℃", 37.5),
        ("37.5°C", 37.5),
        ("37.5 °C", 37.5),
        ("37.5度", 37.5),
        ("37.5c", 37.5),
        ("37.5度C", 37.5),
        ("37.5 degrees", 37.5),
        ("37度5", 37.5),
        ("三十七度五", 37.5),
        ("三十六点八", 36.8),
        ("三十六度八", 36.8),
        ("36", 36.0),
        ("36度", 36.0),
        ("３６．５", 36.5),
        ("体温36.6", 36.6),
        ("体温：36.6℃", 36.6),
        ("36.55", 36.6),
        ("36.25", 36.3),
        ("98.6°F", 37.0),
        ("98.6F", 37.0),
        ("98.6 f", 37.0),
        ("98.6℉", 37.0),
        ("100.4F", 38.0),
        ("34", 34.0),
        ("43", 43.0),
    ],
)
def test_temperature_spellings(text: str, value: float) -> None:
    assert run("temperature", text) == value


def test_out_of_range_names_the_number() -> None:
    error = refused("temperature", "47")
    assert "47" in error.zh and "47 is not a body temperature" in error.en
    assert "33.9" in refused("temperature", "33.9").en
    assert "43.1" in refused("temperature", "43.1℃").en
    assert "92F" not in refused("temperature", "92F").en
    assert "34–43" in refused("temperature", "92F").en
    assert run("temperature", "93.2F") == 34.0


def test_bare_fahrenheit_asks_for_f() -> None:
    error = refused("temperature", "98.6")
    assert "98.6F" in error.en and "98.6F" in error.zh


@pytest.mark.parametrize("text", ["", "hot", "正常", "37.5.1", "度", "F", "三十七度五六"])
def test_temperature_unreadable(text: str) -> None:
    assert "e.g. 36.5" in refused("temperature", text).en


def test_temperature_display() -> None:
    assert SLOT_TYPES["temperature"].display(37.5, "zh", {}) == "37.5℃"
    assert SLOT_TYPES["temperature"].display(37.0, "en", {}) == "37.0℃"


@given(st.integers(min_value=340, max_value=430), st.sampled_from(["", "℃", "°C", "度", " C"]))
def test_every_plausible_celsius_reading(tenths: int, unit: str) -> None:
    text = f"{tenths // 10}.{tenths % 10}{unit}"
    assert run("temperature", text) == tenths / 10


@given(st.integers(min_value=932, max_value=1094))
def test_fahrenheit_converts(tenths: int) -> None:
    f = tenths / 10
    assert run("temperature", f"{f}F") == pytest.approx(round((f - 32) * 5 / 9, 1), abs=0.051)
