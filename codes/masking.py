"""Masking of personal names for display on a code: 张三明 → 张*明."""

from __future__ import annotations

import unicodedata

_SEPARATORS = "·・."


def _is_cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _mask_word(word: str, *, keep_last: bool) -> str:
    if len(word) == 1:
        return word
    if keep_last and len(word) >= 3:
        return word[0] + "*" + word[-1]
    return word[0] + "*"


def mask_name(name: str) -> str:
    """Mask a name, keeping just enough for a guard to match it to an ID card.

    CJK names keep the first and last character (``张三明`` → ``张*明``, ``欧阳娜娜`` →
    ``欧*娜``); two characters keep the first (``张三`` → ``张*``). Latin names keep each
    word's initial and the last word's final letter (``John Smith`` → ``J* S*h``).
    The mask is always a single ``*`` so the length of the name is not revealed.
    """
    text = " ".join(name.split())
    if not text:
        return ""
    if any(_is_cjk(ch) for ch in text):
        chars = [ch for ch in text if not ch.isspace() and ch not in _SEPARATORS]
        if len(chars) <= 1:
            return "".join(chars)
        if len(chars) == 2:
            return chars[0] + "*"
        return chars[0] + "*" + chars[-1]
    words = text.split(" ")
    return " ".join(_mask_word(w, keep_last=i == len(words) - 1) for i, w in enumerate(words))
