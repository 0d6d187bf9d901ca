"""The city's day for the operations view (setting ``ops.timezone``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.config import Settings

TREND_DAYS = 14  #: today and the 13 days before


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def city_tz(settings: Settings) -> ZoneInfo:
    return _zone(settings.ops.timezone)


def city_day(settings: Settings, at: datetime) -> date:
    return at.astimezone(city_tz(settings)).date()


def day_start(settings: Settings, at: datetime) -> datetime:
    """The start (UTC) of the city's day that holds ``at``."""
    return datetime.combine(city_day(settings, at), time.min,
                            tzinfo=city_tz(settings)).astimezone(UTC)


def trend_days(today: date) -> list[date]:
    """The days of the trend, oldest first, ending ``today``."""
    return [today - timedelta(days=TREND_DAYS - 1 - i) for i in range(TREND_DAYS)]
