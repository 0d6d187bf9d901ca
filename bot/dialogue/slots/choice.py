"""``choice`` (one option) and ``multi_choice`` (several) from a list of options.

An option is ``{value, zh, en}``. Users answer with the label in either language,
the 1-based number shown beside it (1, １, 第一个, ①), or the value, in any case.
Labels are tried before numbers, so an option labelled "3" is found by "3".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ._text import check_number_params, loose, whole
from .base import Answer, ParseContext, SlotParseError, SlotType

_NUMBERED = re.compile(
    r"(?:第|选择|选|option|no\.?|#)?\s*\(?([0-9一二三四五六七八九十两]+)\)?\s*(?:个|项|条|号|种)?"
)
#: separators tried in turn: punctuation, then conjunctions, then spaces
_SPLITTERS = (
    re.compile(r"\s*[,;/&+、，；]\s*"),
    re.compile(r"\s*(?:\band\b|以及|和|及|还有|跟)\s*"),
    re.compile(r"\s+"),
)
#: "nothing" answers that pick the single exclusive option (e.g. ``none``)
_NONE_WORDS = frozenset(
    {"无", "没有", "没", "都没有", "都无", "以上都没有", "以上皆无", "以上均无", "均无", "none",
     "no", "nothing", "none of them", "none of the above", "n/a", "na"}
)  # fmt: skip


def options_of(params: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The ``options`` parameter as a list (empty when missing)."""
    options = params.get("options") or []
    return list(options) if isinstance(options, Sequence) else []


def label(option: Mapping[str, Any], lang: str) -> str:
    """An option's label in ``lang``, falling back to the other language, then the value."""
    other = "en" if lang == "zh" else "zh"
    return str(option.get(lang) or option.get(other) or option.get("value"))


def match_option(text: str, options: Sequence[Mapping[str, Any]]) -> int | None:
    """The index of the option ``text`` names (label, number or value), or None."""
    key = loose(text)
    if not key:
        return None
    for i, option in enumerate(options):
        if key in (loose(str(option.get("zh", ""))), loose(str(option.get("en", "")))):
            return i
    number = _NUMBERED.fullmatch(key)
    if number:
        n = whole(number.group(1))
        if n is not None and 1 <= n <= len(options):
            return n - 1
    for i, option in enumerate(options):
        if key == loose(str(option.get("value", ""))):
            return i
    return None


def _segment(text: str, options: Sequence[Mapping[str, Any]]) -> list[int] | None:
    """Split run-together labels (发热咳嗽) into options, or None."""
    if len(text) > 100:
        return None
    labels = [
        (loose(str(option.get(k, ""))), i)
        for i, option in enumerate(options)
        for k in ("zh", "en", "value")
    ]
    labels = [(lab, i) for lab, i in labels if lab]
    best: list[list[int] | None] = [None] * (len(text) + 1)
    best[0] = []
    for start in range(len(text)):
        found = best[start]
        if found is None:
            continue
        for lab, i in labels:
            end = start + len(lab)
            if text.startswith(lab, start) and best[end] is None:
                best[end] = [*found, i]
    return best[len(text)]


def _resolve(text: str, options: Sequence[Mapping[str, Any]], level: int = 0) -> list[int]:
    """The options a piece of an answer names; SlotParseError naming the piece if none."""
    hit = match_option(text, options)
    if hit is not None:
        return [hit]
    for depth in range(level, len(_SPLITTERS)):
        parts = [p for p in _SPLITTERS[depth].split(text) if p]
        if len(parts) > 1:
            return [i for part in parts for i in _resolve(part, options, depth + 1)]
    segmented = _segment(loose(text), options)
    if segmented:
        return segmented
    raise _unknown(text, len(options))


def _unknown(piece: str, count: int) -> SlotParseError:
    piece = piece.strip()[:20]
    return SlotParseError(
        f"没看懂“{piece}”，请回复选项编号（1–{count}）或选项名称",
        f'Didn\'t recognise "{piece}"; reply with an option number (1–{count}) or its name',
    )


def _check_options(params: Mapping[str, Any]) -> list[str]:
    options = params.get("options")
    if not isinstance(options, Sequence) or isinstance(options, str) or not options:
        return ["options must be a non-empty list of {value, zh, en}"]
    problems: list[str] = []
    seen: set[str] = set()
    for n, option in enumerate(options, 1):
        if not isinstance(option, Mapping):
            problems.append(f"option {n} must be a mapping with value, zh and en")
            continue
        value = option.get("value")
        if isinstance(value, bool) or not isinstance(value, str | int):
            problems.append(f"option {n}: value must be text or a whole number, not {value!r}")
        elif str(value) in seen:
            problems.append(f"option {n}: value {value!r} is used twice")
        else:
            seen.add(str(value))
        for lang in ("zh", "en"):
            if not isinstance(option.get(lang), str) or not option[lang].strip():
                problems.append(f"option {n} ({value!r}): {lang} label is missing")
    return problems


class ChoiceSlot(SlotType):
    """One option; value = the option's ``value``. Params: ``options``."""

    name: ClassVar[str] = "choice"
    params: ClassVar[frozenset[str]] = frozenset({"options"})

    def parse(self, answer: Answer, ctx: ParseContext) -> Any:
        options = options_of(ctx.params)
        hit = match_option(answer.text, options)
        if hit is None:
            raise _unknown(answer.text, len(options))
        return options[hit]["value"]

    def display(self, value: Any, lang: str, params: Mapping[str, Any]) -> str:
        for option in options_of(params):
            if option.get("value") == value:
                return label(option, lang)
        return str(value)

    def check_params(self, params: Mapping[str, Any]) -> list[str]:
        return _check_options(params)


class MultiChoiceSlot(SlotType):
    """Several options ("1,3", "1 3", "1、3", "发热 咳嗽", "fever, cough").

    Value = list of option values in option order. Params: ``options``,
    ``exclusive`` (values that cannot be combined, e.g. ``none``), ``min``, ``max``.
    """

    name: ClassVar[str] = "multi_choice"
    params: ClassVar[frozenset[str]] = frozenset({"options", "exclusive", "min", "max"})

    def parse(self, answer: Answer, ctx: ParseContext) -> list[Any]:
        options = options_of(ctx.params)
        exclusive = list(ctx.params.get("exclusive") or [])
        text = loose(answer.text)
        if not text:
            raise _unknown(answer.text, len(options))
        lone = [i for i, o in enumerate(options) if o.get("value") in exclusive]
        if match_option(text, options) is None and text in _NONE_WORDS and len(lone) == 1:
            picked = set(lone)
        else:
            picked = set(_resolve(text, options))
        chosen = [options[i] for i in sorted(picked)]
        if len(chosen) > 1:
            for option in chosen:
                if option.get("value") in exclusive:
                    zh, en = option.get("zh", option["value"]), option.get("en", option["value"])
                    raise SlotParseError(
                        f"“{zh}”不能与其他选项同时选择，请重新选择",
                        f'"{en}" can\'t be combined with other options; please choose again',
                    )
        low, high = ctx.params.get("min"), ctx.params.get("max")
        if low is not None and len(chosen) < low:
            raise SlotParseError(f"请至少选择{low}项", f"Please choose at least {low} options")
        if high is not None and len(chosen) > high:
            raise SlotParseError(f"最多只能选择{high}项", f"Please choose at most {high} options")
        return [option["value"] for option in chosen]

    def display(self, value: Any, lang: str, params: Mapping[str, Any]) -> str:
        labels = {o.get("value"): label(o, lang) for o in options_of(params)}
        return ("、" if lang == "zh" else ", ").join(labels.get(v, str(v)) for v in value)

    def check_params(self, params: Mapping[str, Any]) -> list[str]:
        problems = _check_options(params)
        problems += check_number_params(params, "min", "max", integral=True, at_least=0)
        exclusive = params.get("exclusive") or []
        values = [o.get("value") for o in options_of(params) if isinstance(o, Mapping)]
        if not isinstance(exclusive, Sequence) or isinstance(exclusive, str):
            problems.append("exclusive must be a list of option values")
        else:  # a list, not a set: a broken file may hold lists where values belong
            problems += [
                f"exclusive: {v!r} is not an option value" for v in exclusive if v not in values
            ]
        return problems
