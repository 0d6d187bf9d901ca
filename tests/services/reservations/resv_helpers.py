"""Helpers shared by the reservation tests (imported by name: tests are not a package)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.clock import CITY_TZ


def city(*args: int) -> datetime:
    """A city wall-clock time as an aware UTC datetime."""
    return datetime(*args, tzinfo=CITY_TZ).astimezone(UTC)
