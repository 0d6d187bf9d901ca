"""Checks of an edited intent set before it is saved (docs/nlu.md, "Editing in the browser").

Errors refuse the save: a bad or reserved intent name, an intent without examples, an
empty, multi-line or over-long example, a malformed entity annotation, too many examples,
and **duplicates** (the same text, ignoring case, width, spaces and punctuation, twice —
under one intent or two). Warnings need the editor's consent (``accept_conflicts``):
**conflicts**, near-same texts under two intents (TF-IDF cosine of their features at
least :data:`NEAR`, or :data:`NEAR_TEXT` of their characters in common), which teach the
classifier both ways.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from bot.nlu.intent_set import IntentSet
from bot.nlu.text import features, normalize
from bot.nlu.training import NluDataError, parse_example

INTENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
RESERVED = frozenset({"nlu_fallback"})
MAX_EXAMPLE = 300  #: characters of one example
MAX_EXAMPLES = 5000  #: examples in the whole set
MAX_INTENTS = 100
NEAR = 0.9  #: cosine from which two examples of different intents conflict
NEAR_TEXT = 0.85  #: or the share of their characters in common (difflib's ratio)
CANDIDATE = 0.5  #: cosine below which the characters are not compared
_PUNCT = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Problem:
    """One finding: ``kind`` is the rule, ``error`` refuses the save, else a warning."""

    kind: str
    message: str
    message_zh: str
    intent: str = ""
    example: str = ""
    other_intent: str = ""
    other_example: str = ""
    error: bool = True
    similarity: float | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "severity": "error" if self.error else
                               "warning", "message": self.message,
                               "message_zh": self.message_zh, "intent": self.intent,
                               "example": self.example}
        if self.other_intent:
            out.update(other_intent=self.other_intent, other_example=self.other_example)
        if self.similarity is not None:
            out["similarity"] = round(self.similarity, 3)
        return out


def text_key(text: str) -> str:
    """What two examples share when they are duplicates: normalised, punctuation as
    spaces, spaces collapsed."""
    return " ".join(_PUNCT.sub(" ", normalize(text)).split())


def _shape(intents: IntentSet) -> list[Problem]:
    out: list[Problem] = []
    if not intents.intents:
        out.append(Problem("empty", "there are no intents", "没有任何意图。"))
    if len(intents.intents) > MAX_INTENTS:
        out.append(Problem("too_many", f"more than {MAX_INTENTS} intents",
                           f"意图超过 {MAX_INTENTS} 个。"))
    if intents.example_count > MAX_EXAMPLES:
        out.append(Problem("too_many", f"more than {MAX_EXAMPLES} examples",
                           f"例句超过 {MAX_EXAMPLES} 条。"))
    for name, examples in intents.intents.items():
        if not INTENT_NAME.match(name):
            out.append(Problem("bad_name", f"intent name {name[:80]!r}: lower-case letters, "
                               "digits and _ (starting with a letter), at most 63",
                               f"意图名 {name[:80]!r} 只能用小写字母、数字和下划线，以字母开头。",
                               intent=name[:80]))
        elif name in RESERVED:
            out.append(Problem("bad_name", f"{name} is reserved", f"{name} 是保留名。",
                               intent=name))
        if not examples:
            out.append(Problem("no_examples", f"intent {name[:80]} has no examples",
                               f"意图 {name[:80]} 没有例句。", intent=name[:80]))
        for example in examples:
            out += _example_problems(name, example)
    return out


def _example_problems(intent: str, example: str) -> list[Problem]:
    short = example[:80]
    if not example.strip():
        return [Problem("empty_example", f"{intent}: an example is empty",
                        f"{intent}：有一条空例句。", intent=intent)]
    if len(example) > MAX_EXAMPLE:
        return [Problem("too_long", f"{intent}: an example is longer than {MAX_EXAMPLE} "
                        "characters", f"{intent}：有例句超过 {MAX_EXAMPLE} 字。",
                        intent=intent, example=short)]
    if any(c in example for c in "\r\n\t") or not example.isprintable():
        return [Problem("bad_text", f"{intent}: an example has a line break or control "
                        "character", f"{intent}：例句里有换行或控制字符。", intent=intent,
                        example=short)]
    if example != example.strip() or example.startswith(("-", "#")):
        return [Problem("bad_text", f"{intent}: an example starts or ends with a space, "
                        "or starts with - or #",
                        f"{intent}：例句开头或结尾有空格，或以 - / # 开头。",
                        intent=intent, example=short)]
    try:
        parse_example(example, intent)
    except NluDataError as err:
        return [Problem("bad_annotation", f"{intent}: {err.problem}",
                        f"{intent}：实体标注有误（{err.problem}）。", intent=intent,
                        example=short)]
    return []


def _duplicates(intents: IntentSet) -> list[Problem]:
    seen: dict[str, tuple[str, str]] = {}
    out = []
    for name, examples in intents.intents.items():
        for example in examples:
            key = text_key(parse_example(example, name).text) if example.strip() else ""
            if not key:
                continue
            if key in seen:
                other_intent, other = seen[key]
                same = other_intent == name
                out.append(Problem(
                    "duplicate",
                    f"{example[:80]!r} is already an example of {other_intent}"
                    + ("" if same else f" (and now of {name})"),
                    f"例句 {example[:80]!r} 重复：{other_intent} 里已有" +
                    ("" if same else f"（又加到了 {name}）"),
                    intent=name, example=example[:80], other_intent=other_intent,
                    other_example=other[:80]))
            else:
                seen[key] = (name, example)
    return out


def known_pairs(intents: IntentSet) -> set[tuple[str, str]]:
    """(intent, text key) of every example: conflicts between two of these are old news."""
    return {(name, text_key(parse_example(e, name).text))
            for name, examples in intents.intents.items() for e in examples}


def _conflicts(intents: IntentSet, known: set[tuple[str, str]]) -> list[Problem]:
    """Near-same examples under two intents (not exact duplicates: those are errors),
    where at least one of the two is not in ``known``."""
    rows: list[tuple[str, str, Counter[str]]] = []
    for name, examples in intents.intents.items():
        for example in examples:
            text = parse_example(example, name).text
            rows.append((name, example, features(normalize(text))))
    df: Counter[str] = Counter()
    for _, _, feats in rows:
        df.update(feats.keys())
    n = len(rows)
    vectors: list[dict[str, float]] = []
    for _, _, feats in rows:
        vec = {f: (1 + math.log(c)) * (math.log((n + 1) / (df[f] + 1)) + 1)
               for f, c in feats.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vectors.append({f: v / norm for f, v in vec.items()})
    index: dict[str, list[tuple[int, float]]] = {}
    out = []
    keys = [text_key(parse_example(e, i).text) for i, e, _ in rows]
    for j, vec in enumerate(vectors):
        dots: dict[int, float] = {}
        for feat, weight in vec.items():
            for i, w in index.get(feat, ()):
                dots[i] = dots.get(i, 0.0) + weight * w
        for i, dot in dots.items():
            if (rows[i][0] != rows[j][0] and keys[i] != keys[j] and dot >= CANDIDATE
                    and not ((rows[i][0], keys[i]) in known and (rows[j][0], keys[j]) in known)
                    and (dot >= NEAR or SequenceMatcher(None, keys[i], keys[j]).ratio()
                         >= NEAR_TEXT)):
                out.append(Problem(
                    "conflict",
                    f"{rows[j][1][:80]!r} ({rows[j][0]}) is nearly {rows[i][1][:80]!r} "
                    f"({rows[i][0]})",
                    f"例句 {rows[j][1][:80]!r}（{rows[j][0]}）与 {rows[i][1][:80]!r}"
                    f"（{rows[i][0]}）几乎相同",
                    intent=rows[j][0], example=rows[j][1][:80], other_intent=rows[i][0],
                    other_example=rows[i][1][:80], error=False, similarity=dot))
        for feat, weight in vec.items():
            index.setdefault(feat, []).append((j, weight))
    return out


def check(intents: IntentSet, known: set[tuple[str, str]] | None = None) -> list[Problem]:
    """Every problem of ``intents``: errors first, then conflicts (warnings) that involve
    an example not in ``known`` (see :func:`known_pairs`; None: all of them)."""
    shape = _shape(intents)
    if shape:
        return shape
    return _duplicates(intents) + _conflicts(intents, known or set())


__all__ = ["INTENT_NAME", "MAX_EXAMPLE", "MAX_EXAMPLES", "NEAR", "Problem", "check",
           "known_pairs", "text_key"]
