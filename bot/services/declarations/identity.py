"""Checking and normalising identity input: ID numbers (GB 11643) and names.

The chat's ``id_number`` slot type applies the same check to typed answers; lists and
registers read from files come through here. Nothing in this module logs.
"""

from __future__ import annotations

import unicodedata
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def id_problem(raw: str) -> tuple[str | None, str | None]:
    """``(normalised ID, None)`` or ``(None, problem)``; the problem never repeats the ID."""
    value = "".join(str(raw or "").split()).upper()
    if not value:
        return None, "no ID number"
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit()
                                                             or value[17] == "X"):
        return None, "not an 18-character ID number"
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None, "not a valid ID number (birth date)"
    if _CHECK[sum(int(c) * w for c, w in zip(value[:17], _WEIGHTS, strict=True)) % 11] \
            != value[17]:
        return None, "not a valid ID number (check character)"
    return value, None


def normalize_name(name: str) -> str:
    """Names compare equal when they differ only in width, case or spacing:
    NFKC, every whitespace removed, case-folded."""
    return "".join(unicodedata.normalize("NFKC", str(name or "")).split()).casefold()
