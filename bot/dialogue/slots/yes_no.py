"""``yes_no``: 是/对/有/好/yes/ok → True, 否/不是/没有/no → False."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from ._text import loose
from .base import Answer, ParseContext, SlotParseError, SlotType

YES = frozenset(
    {"是", "是的", "对", "对的", "有", "有的", "好", "好的", "行", "嗯", "嗯嗯", "可以", "同意",
     "确认", "需要", "要", "yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "true", "1"}
)  # fmt: skip
NO = frozenset(
    {"否", "不是", "不", "没有", "无", "没", "不对", "不同意", "不要", "不需要", "不用", "不行",
     "no", "n", "nope", "nah", "false", "0"}
)  # fmt: skip
#: sentence-final particles people add: 是啊, 没有呢, 好吧
_PARTICLES = re.compile(r"[啊呀吧呢哦喔嘛啦了的哈]+$")


def read_yes_no(text: str) -> bool | None:
    """True, False, or None when ``text`` is neither a yes nor a no."""
    key = loose(text)
    for candidate in (key, _PARTICLES.sub("", key)):
        if candidate in YES:
            return True
        if candidate in NO:
            return False
    return None


class YesNoSlot(SlotType):
    """A yes/no answer; value ``True``/``False``. No params."""

    name: ClassVar[str] = "yes_no"

    def parse(self, answer: Answer, ctx: ParseContext) -> bool:
        value = read_yes_no(answer.text)
        if value is None:
            raise SlotParseError("请回答“是”或“否”", 'Please answer "yes" or "no"')
        return value

    def display(self, value: Any, lang: str, params: Mapping[str, Any]) -> str:
        if lang == "zh":
            return "是" if value else "否"
        return "Yes" if value else "No"
