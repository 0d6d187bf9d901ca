"""Numbers: ``integer`` (12, 1,200, 十二, 两百) and ``decimal`` (3.5, 三点五)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from ._text import check_number_params, fmt_number, loose, parse_number
from .base import Answer, ParseContext, SlotParseError, SlotType

#: counting words people add after a number: 3个, 三口人, 5 人次
_CLASSIFIERS = re.compile(r"\s*[个人位口次天岁件份箱袋盒瓶包只名户张条]{1,2}$")


def read_number(text: str) -> Decimal:
    """The number in an answer, classifiers such as 个/人 allowed after it."""
    s = loose(text)
    if not s:
        raise SlotParseError("请输入一个数字，例如 12", "Please enter a number, e.g. 12")
    value = parse_number(s)
    if value is None:
        value = parse_number(_CLASSIFIERS.sub("", s))
    if value is None:
        raise SlotParseError("请输入一个数字，例如 12 或 十二", "Please enter a number, e.g. 12")
    return value


def check_range(value: Decimal, params: Mapping[str, Any]) -> None:
    """Refuse negatives (unless ``min`` < 0) and values outside ``min``/``max``."""
    low, high = params.get("min"), params.get("max")
    if value < 0 and (low is None or low >= 0):
        raise SlotParseError("不能为负数，请重新输入", "It can't be negative; please try again")
    if low is not None and value < Decimal(str(low)):
        shown = fmt_number(low)
        raise SlotParseError(f"不能小于{shown}，请重新输入", f"It must be at least {shown}")
    if high is not None and value > Decimal(str(high)):
        shown = fmt_number(high)
        raise SlotParseError(f"不能大于{shown}，请重新输入", f"It must be at most {shown}")


class IntegerSlot(SlotType):
    """A whole number: 12, 1,200, １２, 十二, 两百, 一千二百. Params ``min``, ``max``."""

    name: ClassVar[str] = "integer"
    params: ClassVar[frozenset[str]] = frozenset({"min", "max"})

    def parse(self, answer: Answer, ctx: ParseContext) -> int:
        value = read_number(answer.text)
        if value != value.to_integral_value():
            raise SlotParseError("请输入整数，例如 3", "Please enter a whole number, e.g. 3")
        check_range(value, ctx.params)
        return int(value)

    def check_params(self, params: Mapping[str, Any]) -> list[str]:
        return check_number_params(params, "min", "max", integral=True)


class DecimalSlot(SlotType):
    """A number with an optional fraction: 3.5, 三点五, 12. Params ``min``, ``max``."""

    name: ClassVar[str] = "decimal"
    params: ClassVar[frozenset[str]] = frozenset({"min", "max"})

    def parse(self, answer: Answer, ctx: ParseContext) -> float:
        value = read_number(answer.text)
        check_range(value, ctx.params)
        return float(value)

    def display(self, value: Any, lang: str, params: Mapping[str, Any]) -> str:
        return fmt_number(value)

    def check_params(self, params: Mapping[str, Any]) -> list[str]:
        return check_number_params(params, "min", "max", integral=False)
