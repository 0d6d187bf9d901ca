"""Free text (names, addresses, notes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from codes import mask_name

from ._text import check_number_params, norm
from .base import Answer, ParseContext, SlotParseError, SlotType

DEFAULT_MAX_LENGTH = 200
_MASKS = ("name", "all", "none")


class TextSlot(SlotType):
    """Any non-empty text, NFKC-normalised and stripped; length in characters.

    Params: ``min_length``, ``max_length`` (default 200), ``mask``: ``name``
    (张*明), ``all`` (every character a ``*``) or ``none`` (the default).
    """

    name: ClassVar[str] = "text"
    params: ClassVar[frozenset[str]] = frozenset({"min_length", "max_length", "mask"})

    def parse(self, answer: Answer, ctx: ParseContext) -> str:
        text = "\n".join(" ".join(line.split()) for line in norm(answer.text).splitlines())
        text = text.strip()
        if not text:
            raise SlotParseError("请输入内容后再发送", "Please type your answer")
        low = ctx.params.get("min_length") or 0
        high = ctx.params.get("max_length") or DEFAULT_MAX_LENGTH
        if len(text) < low:
            raise SlotParseError(
                f"内容太短，至少需要{low}个字", f"Too short: at least {low} characters"
            )
        if len(text) > high:
            raise SlotParseError(
                f"内容太长（{len(text)}字），请控制在{high}字以内",
                f"Too long ({len(text)} characters); please keep it within {high}",
            )
        return text

    def mask(self, value: Any, lang: str, params: Mapping[str, Any]) -> str:
        style = params.get("mask", "none")
        if style == "name":
            return mask_name(str(value))
        if style == "all":
            return "*" * len(str(value))
        return self.display(value, lang, params)

    def check_params(self, params: Mapping[str, Any]) -> list[str]:
        problems = check_number_params(
            params, "min_length", "max_length", integral=True, at_least=1
        )
        if params.get("mask", "none") not in _MASKS:
            problems.append(f"mask must be one of {', '.join(_MASKS)}, not {params['mask']!r}")
        return problems
