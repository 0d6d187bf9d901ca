"""Helpers shared by the ``codes`` tests (a unique module name: conftest is not importable)."""

from __future__ import annotations

import sys
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import base45
from cwt import COSE

# pyproject's `pythonpath` covers runs from the repo root; this keeps the checkout
# importable when pytest is started from another directory.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import codes  # noqa: E402

NOW = datetime(2024, 3, 1, 8, 0, 0, tzinfo=UTC)


def trusted(key: codes.SigningKey, **kw) -> codes.TrustedKey:
    kw.setdefault("valid_from", NOW - timedelta(days=30))
    return codes.TrustedKey.from_spki(key.spki, **kw)


def issue(key: codes.SigningKey, **kw) -> str:
    args = {"key": key, "subject": "S7KQ2M4XW9PA", "color": "green", "masked_name": "张*明",
            "at": NOW}
    args.update(kw)
    return codes.issue_code(**args)


def wrap(cose: bytes, prefix: str = "TG1:") -> str:
    """COSE bytes framed as a code (zlib → Base45 → prefix), for hand-made codes."""
    return prefix + base45.b45encode(zlib.compress(cose)).decode()


def sign_raw(key: codes.SigningKey, payload: bytes, protected: dict | None = None,
             unprotected: dict | None = None) -> bytes:
    """A COSE_Sign1 over ``payload`` with headers as given (default: alg and kid)."""
    protected = {1: key.alg, 4: key.kid} if protected is None else protected
    return COSE.new().encode_and_sign(payload, key.cose_key, protected=protected,
                                      unprotected=unprotected or {})
