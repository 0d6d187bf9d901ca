"""text, yes_no and location."""

from __future__ import annotations

import pytest
from slot_helpers import refused, run

from bot.dialogue.slots import SLOT_TYPES


def test_text_is_stripped_and_normalised() -> None:
    assert run("text", "  张小明  ") == "张小明"
    assert run("text", "ＡＢＣ　路 1 号") == "ABC 路 1 号"
    assert run("text", "line one  \n  line   two") == "line one\nline two"


def test_text_limits() -> None:
    assert "type" in refused("text", "   ").en
    assert "200" in refused("text", "字" * 201).en
    assert run("text", "字" * 200) == "字" * 200
    assert "at least 2" in refused("text", "张", min_length=2).en
    assert "5" in refused("text", "123456", max_length=5).zh


@pytest.mark.parametrize(
    ("value", "masked"),
    [("张三", "张*"), ("张小明", "张*明"), ("欧阳小明", "欧*明"), ("John Smith", "J* S*h"),
     ("张", "张")],
)  # fmt: skip
def test_name_mask(value: str, masked: str) -> None:
    assert SLOT_TYPES["text"].mask(value, "zh", {"mask": "name"}) == masked


def test_text_mask_styles_and_params() -> None:
    slot = SLOT_TYPES["text"]
    assert slot.mask("备注", "zh", {}) == "备注"
    assert slot.mask("备注", "zh", {"mask": "all"}) == "**"
    assert slot.check_params({"min_length": 2, "max_length": 50, "mask": "name"}) == []
    assert slot.check_params({"mask": "initials"}) != []
    assert slot.check_params({"max_length": "long"}) != []
    assert slot.check_params({"min_length": 10, "max_length": 5}) != []
    assert slot.check_params({"max_length": 0}) != []


YES = [
    "是",
    "是的",
    "对",
    "对的",
    "有",
    "好",
    "好的",
    "嗯",
    "可以",
    "同意",
    "yes",
    "Yes",
    "Y",
    "y",
    "yeah",
    "yep",
    "sure",
    "OK",
    "ok",
    "true",
    "1",
    "是。",
    "好的!",
    "是啊",
    "有的",
    "ｙｅｓ",
    " yes ",
]
NO = [
    "否",
    "不是",
    "不",
    "没有",
    "无",
    "没",
    "不对",
    "不同意",
    "no",
    "No",
    "N",
    "nope",
    "nah",
    "false",
    "0",
    "没有呢",
    "不是的",
    "NO!",
    "没有。",
]


@pytest.mark.parametrize("text", YES)
def test_yes(text: str) -> None:
    assert run("yes_no", text) is True


@pytest.mark.parametrize("text", NO)
def test_no(text: str) -> None:
    assert run("yes_no", text) is False


@pytest.mark.parametrize("text", ["", "maybe", "也许", "2", "是不是", "yes no", "的"])
def test_yes_no_refuses(text: str) -> None:
    error = refused("yes_no", text)
    assert "是" in error.zh and "yes" in error.en


def test_yes_no_display() -> None:
    slot = SLOT_TYPES["yes_no"]
    assert [slot.display(v, "zh", {}) for v in (True, False)] == ["是", "否"]
    assert [slot.display(v, "en", {}) for v in (True, False)] == ["Yes", "No"]


def test_location_shared() -> None:
    where = {"lat": 31.2304, "lng": 121.4737, "label": "人民广场"}
    assert run("location", location=where) == where
    assert run("location", location={"lat": "31.2", "lng": 121}) == {
        "lat": 31.2,
        "lng": 121.0,
        "label": "",
    }
    assert SLOT_TYPES["location"].display(where, "zh", {}) == "人民广场"
    assert SLOT_TYPES["location"].display({"lat": 31.2, "lng": 121.5, "label": ""}, "en", {}) == (
        "31.20000, 121.50000"
    )


@pytest.mark.parametrize(
    "where",
    [{"lat": 0, "lng": 0}, {"lat": 91, "lng": 0}, {"lat": 10, "lng": -181}, {"lat": 10},
     {"lat": float("nan"), "lng": 1}, {"lat": True, "lng": 1}, {"lat": "north", "lng": 1},
     {"lat": None, "lng": None}],
)  # fmt: skip
def test_location_without_fix(where: dict[str, object]) -> None:
    assert "again" in refused("location", location=where).en


def test_location_text_answers() -> None:
    assert "share your location" in refused("location", "人民广场").en
    assert run("location", " 人民广场 ", allow_text=True) == {"label": "人民广场"}
    assert "address" in refused("location", "  ", allow_text=True).en
    assert SLOT_TYPES["location"].display({"label": "人民广场"}, "en", {}) == "人民广场"
    assert SLOT_TYPES["location"].check_params({"allow_text": "yes"}) != []
