"""When a job runs: ``every 5s``, ``daily 07:30`` (city time), ``always`` or ``off``.

A feature states a job's schedule as this short text, built from settings, so
``tongguan jobs list`` shows exactly what the runner reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from bot.errors import TongguanError


class ScheduleError(TongguanError):
    """A schedule text the runner cannot read."""


@dataclass(frozen=True)
class Schedule:
    """Every ``every`` seconds, or daily at ``daily`` in ``tz``, or ``always`` (a job that
    runs until cancelled, e.g. a watcher; each process only); none: off."""

    every: float | None = None
    daily: time | None = None
    tz: tzinfo | None = None
    always: bool = False

    @property
    def off(self) -> bool:
        return self.every is None and self.daily is None and not self.always

    def first_due(self, now: datetime) -> datetime:
        """When a job never run before is due: now for ``every``; today's time for
        ``daily`` (at once if it has passed: a missed release still happens)."""
        if self.daily is None:
            return now
        local = now.astimezone(self.tz)
        return datetime.combine(local.date(), self.daily, tzinfo=self.tz)

    def next_after(self, moment: datetime) -> datetime:
        """The next due time after a run that started at ``moment``."""
        if self.every is not None:
            return moment + timedelta(seconds=self.every)
        assert self.daily is not None, "an off schedule has no next time"
        local = moment.astimezone(self.tz)
        at = datetime.combine(local.date(), self.daily, tzinfo=self.tz)
        return at if at > moment else datetime.combine(
            local.date() + timedelta(days=1), self.daily, tzinfo=self.tz)


def parse_schedule(text: str, tz: tzinfo) -> Schedule:
    """``every 2.5s`` | ``daily HH:MM`` (in ``tz``) | ``always`` | ``off`` or empty.

    Raises:
        ScheduleError: anything else, or an interval of 0 or less (use ``off``).
    """
    words = text.split()
    if not words or words == ["off"]:
        return Schedule()
    if words == ["always"]:
        return Schedule(always=True)
    if len(words) == 2 and words[0] == "every" and words[1].endswith("s"):
        try:
            seconds = float(words[1][:-1])
        except ValueError:
            seconds = -1.0
        if seconds > 0:
            return Schedule(every=seconds)
        if seconds == 0:
            return Schedule()
    if len(words) == 2 and words[0] == "daily":
        try:
            return Schedule(daily=time.fromisoformat(words[1]), tz=tz)
        except ValueError:
            pass
    raise ScheduleError(f"schedule {text!r}: expected 'every Ns', 'daily HH:MM', 'always' or 'off'")
