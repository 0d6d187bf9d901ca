"""Shared helpers for the slot-type tests (imported as ``slot_helpers``; the name is unique)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.dialogue.slots import SLOT_TYPES, Answer, ParseContext, SlotParseError

#: 2020-02-03 23:30 UTC is already 2020-02-04 07:30 in Shanghai
NOW = datetime(2020, 2, 3, 23, 30, tzinfo=UTC)

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def id_check(first17: str) -> str:
    """GB 11643 check digit written out from the standard's weights (not the code under test)."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def uscc_check(first17: str) -> str:
    """GB 32100 check character written out from the standard's weights."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def run(
    name: str,
    text: str = "",
    *,
    lang: str = "zh",
    now: datetime = NOW,
    location: dict[str, Any] | None = None,
    **params: Any,
) -> Any:
    """Parse ``text`` with slot type ``name`` and ``params``."""
    return SLOT_TYPES[name].parse(Answer(text, location), ParseContext(lang, now, params))


def refused(name: str, text: str = "", **kwargs: Any) -> SlotParseError:
    """Assert the answer is refused with a message in both languages; return the error."""
    try:
        value = run(name, text, **kwargs)
    except SlotParseError as error:
        assert error.zh.strip() and error.en.strip()
        assert error.text("zh") == error.zh and error.text("en") == error.en
        return error
    raise AssertionError(f"{name} accepted {text!r} as {value!r}")
