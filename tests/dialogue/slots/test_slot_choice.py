"""choice and multi_choice: numbers, labels in both languages, values, exclusivity."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slot_helpers import refused, run

from bot.dialogue.slots import SLOT_TYPES

DISTRICTS = [
    {"value": "wuchang", "zh": "武昌区", "en": "Wuchang"},
    {"value": "hongshan", "zh": "洪山区", "en": "Hongshan"},
    {"value": "donghu", "zh": "东湖高新区", "en": "East Lake Hi Tech"},
]
SYMPTOMS = [
    {"value": "fever", "zh": "发热", "en": "Fever"},
    {"value": "cough", "zh": "咳嗽", "en": "Cough"},
    {"value": "sore_throat", "zh": "咽痛", "en": "Sore throat"},
    {"value": "fatigue", "zh": "乏力", "en": "Fatigue"},
    {"value": "none", "zh": "以上都没有", "en": "None of the above"},
]
MULTI: dict[str, Any] = {"options": SYMPTOMS, "exclusive": ["none"]}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", "wuchang"), ("１", "wuchang"), (" 2 ", "hongshan"), ("3.", "donghu"),
        ("①", "wuchang"), ("第二个", "hongshan"), ("选3", "donghu"), ("二", "hongshan"),
        ("(1)", "wuchang"), ("洪山区", "hongshan"), ("hongshan", "hongshan"),
        ("HONGSHAN", "hongshan"), ("east lake hi tech", "donghu"), ("East Lake Hi Tech", "donghu"),
        ("East  Lake   Hi Tech", "donghu"), ("武昌区。", "wuchang"), ("ＷＵＣＨＡＮＧ", "wuchang"),
    ],
)  # fmt: skip
def test_choice_spellings(text: str, value: str) -> None:
    assert run("choice", text, options=DISTRICTS) == value


@pytest.mark.parametrize("text", ["", "4", "0", "江岸区", "1,2", "-1"])
def test_choice_refuses(text: str) -> None:
    error = refused("choice", text, options=DISTRICTS)
    assert "1–3" in error.zh and "1–3" in error.en


def test_choice_label_beats_number() -> None:
    options = [{"value": "a", "zh": "2", "en": "2"}, {"value": "b", "zh": "乙", "en": "B"}]
    assert run("choice", "2", options=options) == "a"
    assert run("choice", "1", options=options) == "a"


def test_choice_display_and_params() -> None:
    slot = SLOT_TYPES["choice"]
    assert slot.display("hongshan", "zh", {"options": DISTRICTS}) == "洪山区"
    assert slot.display("hongshan", "en", {"options": DISTRICTS}) == "Hongshan"
    assert slot.display("gone", "en", {"options": DISTRICTS}) == "gone"
    assert slot.check_params({"options": DISTRICTS}) == []
    assert slot.check_params({}) != []
    assert slot.check_params({"options": [{"value": "a", "zh": "甲"}]}) != []
    assert slot.check_params({"options": [{"value": "a", "zh": "甲", "en": "A"}] * 2}) != []
    assert slot.check_params({"options": ["a"]}) != []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,3", ["fever", "sore_throat"]), ("3,1", ["fever", "sore_throat"]),
        ("1 3", ["fever", "sore_throat"]), ("1、3", ["fever", "sore_throat"]),
        ("1，3", ["fever", "sore_throat"]), ("1;2;4", ["fever", "cough", "fatigue"]),
        ("发热 咳嗽", ["fever", "cough"]), ("发热、咳嗽", ["fever", "cough"]),
        ("发热咳嗽", ["fever", "cough"]), ("发热和乏力", ["fever", "fatigue"]),
        ("fever, cough", ["fever", "cough"]), ("Fever and sore throat", ["fever", "sore_throat"]),
        ("sore throat, 1", ["fever", "sore_throat"]), ("1,1", ["fever"]), ("2", ["cough"]),
        ("5", ["none"]), ("以上都没有", ["none"]), ("没有", ["none"]), ("无", ["none"]),
        ("none", ["none"]), ("None of the above", ["none"]),
    ],
)  # fmt: skip
def test_multi_choice_spellings(text: str, value: list[str]) -> None:
    assert run("multi_choice", text, **MULTI) == value


def test_multi_choice_exclusive() -> None:
    error = refused("multi_choice", "1,5", **MULTI)
    assert "以上都没有" in error.zh and "None of the above" in error.en
    assert "combined" in refused("multi_choice", "发热 以上都没有", **MULTI).en


def test_multi_choice_unknown_piece_is_named() -> None:
    error = refused("multi_choice", "发热, 头晕", **MULTI)
    assert "头晕" in error.zh and "头晕" in error.en
    assert "1–5" in refused("multi_choice", "9", **MULTI).en
    refused("multi_choice", "", **MULTI)
    refused("multi_choice", "13", **MULTI)


def test_multi_choice_count_limits() -> None:
    assert "2" in refused("multi_choice", "1", **MULTI, min=2).zh
    assert "at most 2" in refused("multi_choice", "1,2,3", **MULTI, max=2).en
    assert run("multi_choice", "1,2", **MULTI, min=2, max=2) == ["fever", "cough"]


def test_none_words_need_a_single_exclusive_option() -> None:
    refused("multi_choice", "没有", options=SYMPTOMS)


def test_multi_choice_display_and_params() -> None:
    slot = SLOT_TYPES["multi_choice"]
    assert slot.display(["fever", "cough"], "zh", MULTI) == "发热、咳嗽"
    assert slot.display(["fever", "cough"], "en", MULTI) == "Fever, Cough"
    assert slot.check_params(MULTI) == []
    assert slot.check_params({**MULTI, "exclusive": ["nothing"]}) != []
    assert slot.check_params({**MULTI, "exclusive": "none"}) != []
    assert slot.check_params({**MULTI, "exclusive": [["none"]]}) == [
        "exclusive: ['none'] is not an option value"]  # a list where a value belongs
    assert slot.check_params({**MULTI, "min": 3, "max": 2}) != []


@given(
    st.sets(st.integers(min_value=1, max_value=4), min_size=1),
    st.sampled_from([",", " ", "、", "，", " , "]),
)
def test_any_subset_by_numbers(picked: set[int], sep: str) -> None:
    text = sep.join(str(n) for n in sorted(picked, reverse=True))
    assert run("multi_choice", text, **MULTI) == [SYMPTOMS[n - 1]["value"] for n in sorted(picked)]


@given(st.sets(st.integers(min_value=0, max_value=3), min_size=1), st.sampled_from(["zh", "en"]))
def test_any_subset_by_labels(picked: set[int], lang: str) -> None:
    text = ", ".join(SYMPTOMS[i][lang] for i in picked)
    assert run("multi_choice", text, **MULTI) == [SYMPTOMS[i]["value"] for i in sorted(picked)]
