"""The registry, the package's exports, check_params, and a fuzz test over every type."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slot_helpers import run

import bot.dialogue.slots as slots
from bot.dialogue.slots import SLOT_TYPES, SlotParseError, SlotType, get_slot_type

NAMES = {
    "text", "integer", "decimal", "choice", "multi_choice", "yes_no", "id_number", "phone",
    "temperature", "date", "uscc", "location",
}  # fmt: skip
OPTIONS = [
    {"value": "a", "zh": "甲", "en": "Alpha"},
    {"value": "b", "zh": "乙", "en": "Beta"},
    {"value": "none", "zh": "都没有", "en": "None"},
]
#: valid params for each type, used by the fuzz test and check_params
PARAMS: dict[str, dict[str, Any]] = {
    "text": {"min_length": 1, "max_length": 50, "mask": "name"},
    "integer": {"min": 0, "max": 1000},
    "decimal": {"min": -5, "max": 99.5},
    "choice": {"options": OPTIONS},
    "multi_choice": {"options": OPTIONS, "exclusive": ["none"], "min": 1, "max": 2},
    "yes_no": {},
    "id_number": {},
    "phone": {},
    "temperature": {},
    "date": {"past_only": True, "max_days_ago": 30},
    "uscc": {},
    "location": {"allow_text": False},
}


def test_all_types_registered() -> None:
    assert set(SLOT_TYPES) == NAMES
    for name, slot in SLOT_TYPES.items():
        assert isinstance(slot, SlotType) and slot.name == name
        assert get_slot_type(name) is slot
        assert set(PARAMS[name]) <= slot.params
    with pytest.raises(KeyError, match="known"):
        get_slot_type("colour")


def test_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        SLOT_TYPES["x"] = SLOT_TYPES["text"]  # type: ignore[index]


def test_all_names_exist() -> None:
    for name in slots.__all__:
        assert hasattr(slots, name), name
    assert {"SLOT_TYPES", "get_slot_type", "SlotType", "SlotParseError", "Answer"} <= set(
        slots.__all__
    )
    assert {"ParseContext", "id_birth_date", "id_last_digit"} <= set(slots.__all__)


@pytest.mark.parametrize("name", sorted(NAMES))
def test_valid_params_pass_check(name: str) -> None:
    assert SLOT_TYPES[name].check_params(PARAMS[name]) == []


@pytest.mark.parametrize(
    ("name", "params"),
    [("integer", {"min": 1.5}), ("integer", {"min": True}), ("integer", {"min": 5, "max": 1}),
     ("decimal", {"max": "ten"}), ("text", {"min_length": 0}), ("choice", {"options": []}),
     ("multi_choice", {"options": OPTIONS, "min": -1}), ("date", {"future_only": 1}),
     ("location", {"allow_text": "true"})],
)  # fmt: skip
def test_bad_params_are_reported(name: str, params: dict[str, Any]) -> None:
    problems = SLOT_TYPES[name].check_params(params)
    assert problems and all(isinstance(p, str) and p for p in problems)


def test_mask_defaults_to_display() -> None:
    assert SLOT_TYPES["yes_no"].mask(True, "zh", {}) == "是"
    assert SLOT_TYPES["date"].mask("2020-02-03", "en", {}) == "3 Feb 2020"
    assert SLOT_TYPES["uscc"].mask("91110000600037341L", "en", {}) == "91110000600037341L"


NOWS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)
ANSWERS = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789.,-+ 零一二两三十百千万亿点度月日号年天前xX°CF℃、，", max_size=25),
    st.from_regex(r"[0-9]{1,4}[-/.年 ][0-9]{1,3}[-/.月 ][0-9]{1,3}[日号]?", fullmatch=True),
)


@settings(max_examples=300)
@given(st.sampled_from(sorted(NAMES)), ANSWERS, NOWS, st.sampled_from(["zh", "en"]))
def test_fuzz_only_slot_parse_errors(name: str, text: str, now: datetime, lang: str) -> None:
    try:
        value = run(name, text, lang=lang, now=now, **PARAMS[name])
    except SlotParseError as error:
        assert error.zh and error.en
        return
    slot = SLOT_TYPES[name]
    assert isinstance(slot.display(value, lang, PARAMS[name]), str)
    assert isinstance(slot.mask(value, lang, PARAMS[name]), str)


@given(
    st.dictionaries(
        st.sampled_from(["lat", "lng", "label"]),
        st.one_of(st.none(), st.floats(), st.integers(), st.text(max_size=5), st.booleans()),
    )
)
def test_fuzz_locations(where: dict[str, Any]) -> None:
    try:
        value = run("location", location=where)
    except SlotParseError:
        return
    assert -90 <= value["lat"] <= 90 and -180 <= value["lng"] <= 180
