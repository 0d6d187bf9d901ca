"""Helpers shared by the ``codes`` tests (a unique module name: conftest is not importable)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

# The repo is not pip-installed in .venv and pyproject has no `pythonpath` yet; make the
# checkout importable so `.venv/bin/pytest` works from any directory.
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
