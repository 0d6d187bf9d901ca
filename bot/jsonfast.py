"""Compact JSON on the hot paths, through orjson.

Every turn encodes its state, its log entry and the reply; the standard library's encoder
was the largest single cost inside a turn, and orjson does the same work several times
faster. The output matches ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``
encoded as UTF-8, except that NaN and infinities become ``null`` (no value Tongguan stores
is one) and non-string keys are turned into strings as the standard library does.
"""

from __future__ import annotations

from typing import Any

import orjson

JSONDecodeError = orjson.JSONDecodeError  #: a subclass of :class:`json.JSONDecodeError`


def dumps(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Parse JSON text (raises :data:`JSONDecodeError`, also on invalid UTF-8)."""
    return orjson.loads(data)
