"""Text normalisation and features shared by the builtin classifier and entity matcher."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_HAN}]+|[^\W_{_HAN}]+")
_HAN_RUN = re.compile(rf"[{_HAN}]+")

#: Relative weight of each feature family (tuned with ``bench/nlu.py``).
WEIGHTS = {"h1": 1.0, "h2": 1.0, "h3": 0.5, "w": 1.0, "c": 0.5, "b": 0.5, "E": 1.0}


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """NFKC + lower-case ``text`` char by char; also return each output char's source index.

    Control, format and surrogate characters become spaces, so offsets into the
    original text stay exact for everything the matcher can find.
    """
    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        if ch.isascii():
            norm = " " if ch < " " or ch == "\x7f" else ch.lower()
        elif unicodedata.category(ch)[0] == "C":
            norm = " "
        else:
            norm = unicodedata.normalize("NFKC", ch).lower()
        for c in norm:
            chars.append(c)
            offsets.append(i)
    return "".join(chars), offsets


def normalize(text: str) -> str:
    """NFKC, lower-case, controls to spaces, whitespace collapsed."""
    return " ".join(normalize_with_offsets(text)[0].split())


def features(norm: str) -> Counter[str]:
    """Sparse feature counts of normalised text.

    Han runs give character 1–3-grams (``h1:``/``h2:``/``h3:``); other letter/digit
    tokens give the word (``w:``), its char 3–4-grams with word boundaries (``c:``,
    like char_wb) and word bigrams (``b:``).
    """
    feats: Counter[str] = Counter()
    norm = norm.replace("'", "").replace("\u2019", "")
    prev_word = ""
    for m in _TOKEN.finditer(norm):
        tok = m.group()
        if _HAN_RUN.fullmatch(tok):
            prev_word = ""
            for n in (1, 2, 3):
                for i in range(len(tok) - n + 1):
                    feats[f"h{n}:{tok[i:i + n]}"] += 1
            continue
        feats["w:" + tok] += 1
        padded = f"<{tok}>"
        for n in (3, 4):
            for i in range(max(len(padded) - n + 1, 0)):
                feats["c:" + padded[i:i + n]] += 1
        if prev_word:
            feats[f"b:{prev_word} {tok}"] += 1
        prev_word = tok
    return feats


def weigh(counts: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    """Sub-linear TF × IDF × family weight, L2-normalised; unknown features are dropped."""
    vec: dict[str, float] = {}
    for feat, count in counts.items():
        weight = idf.get(feat)
        if weight is None:
            continue
        family = feat.split(":", 1)[0]
        vec[feat] = (1.0 + math.log(count)) * weight * WEIGHTS.get(family, 1.0)
    norm = math.sqrt(sum(v * v for v in vec.values()))
    return {f: v / norm for f, v in vec.items()} if norm else {}


__all__ = ["WEIGHTS", "features", "normalize", "normalize_with_offsets", "weigh"]
