"""Guess whether a message is Chinese or English from the letters it uses."""

from __future__ import annotations

import unicodedata
from typing import Literal

Language = Literal["zh", "en"]


def is_han(ch: str) -> bool:
    """True for a CJK ideograph (basic, extension A–F, compatibility)."""
    code = ord(ch)
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF
            or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x2FA1F)


def is_latin(ch: str) -> bool:
    """True for a Latin letter, including full-width and accented ones."""
    if ("a" <= ch <= "z") or ("A" <= ch <= "Z"):
        return True
    if ch.isascii() or not ch.isalpha():
        return False
    return "LATIN" in unicodedata.name(ch, "")


def guess_language(text: str) -> Language | None:
    """``zh`` or ``en`` from the script of the letters; ``None`` without any (digits, emoji).

    A Han character weighs two Latin letters, so ``我要N95口罩`` is Chinese and
    ``I want 口罩`` is English.
    """
    han = latin = 0
    for ch in text[:2000]:
        if is_han(ch):
            han += 1
        elif is_latin(ch):
            latin += 1
    if han == 0 and latin == 0:
        return None
    return "zh" if 2 * han >= latin else "en"


__all__ = ["Language", "guess_language", "is_han", "is_latin"]
