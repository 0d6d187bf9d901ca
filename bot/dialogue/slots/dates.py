"""``date``: 今天, 昨天, 2月3日, 2020-02-03, 2020年2月3日, 3 Feb, Feb 3 2020, 3 days ago.

Relative words count from ``ctx.now`` in Asia/Shanghai. Value: ISO ``"2020-02-03"``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from bot.clock import CITY_TZ

from ._text import check_bool_params, check_number_params, loose, whole
from .base import Answer, ParseContext, SlotParseError, SlotType

RELATIVE = {
    "今天": 0, "今日": 0, "today": 0, "昨天": -1, "昨日": -1, "yesterday": -1,
    "前天": -2, "the day before yesterday": -2, "大前天": -3,
    "明天": 1, "明日": 1, "tomorrow": 1, "后天": 2, "the day after tomorrow": 2,
}  # fmt: skip
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august",
               "september", "october", "november", "december")  # fmt: skip
_NUM = r"[0-9零〇一二三四五六七八九十两]+"
_DAYS_AGO = re.compile(rf"({_NUM})\s*(?:天前|天以前|days? ago)")
_NUMERIC = re.compile(r"(\d{4})(?:([-/.])(\d{1,2})\2(\d{1,2})|(\d{2})(\d{2}))")
_CHINESE = re.compile(rf"(?:({_NUM})年)?({_NUM})月({_NUM})[日号]?")
_DAY_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)? (?:of )?([a-z]+)\.?(?: (\d{4}))?")
_MONTH_DAY = re.compile(r"([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?(?: (\d{4}))?")

_UNREADABLE = SlotParseError(
    "请输入日期，例如 2月3日、2020-02-03 或“昨天”",
    'Please enter a date, e.g. 3 Feb, 2020-02-03 or "yesterday"',
)


def today_in_city(now: datetime) -> date:
    """The date in Shanghai at ``now`` (naive times are taken as UTC)."""
    return (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(CITY_TZ).date()


def _month(word: str) -> int | None:
    for i, name in enumerate(MONTH_NAMES):
        if len(word) >= 3 and name.startswith(word):
            return i + 1
    return None


def _fields(text: str) -> tuple[int | None, int, int] | None:
    """(year or None, month, day) read from an absolute date, or None."""
    if m := _NUMERIC.fullmatch(text):
        y, _, mo, d, mo2, d2 = m.groups()
        return int(y), int(mo or mo2), int(d or d2)
    if m := _CHINESE.fullmatch(text):
        y, mo, d = (whole(g) if g else None for g in m.groups())
        return (y, mo, d) if mo is not None and d is not None else None
    text = text.replace(",", " ")
    text = " ".join(text.split())
    if m := _DAY_MONTH.fullmatch(text):
        d, word, y = m.groups()
    elif m := _MONTH_DAY.fullmatch(text):
        word, d, y = m.groups()
    else:
        return None
    month = _month(word)
    return (int(y) if y else None, month, int(d)) if month else None


def _resolve_year(month: int, day: int, today: date, params: Mapping[str, Any]) -> date:
    """A month/day without a year: the latest one not in the future if ``past_only``,
    the next one not in the past if ``future_only``, else this year's."""
    step = -1 if params.get("past_only") else 1 if params.get("future_only") else 0
    for offset in range(9):  # 29 Feb may be up to 8 years away
        try:
            found = date(today.year + step * offset, month, day)
        except ValueError:
            if step == 0 or not (month == 2 and day == 29):
                raise
            continue
        if step == 0 or (found <= today if step < 0 else found >= today):
            return found
    raise ValueError("no such date")  # pragma: no cover


def _no_such_date(text: str) -> SlotParseError:
    return SlotParseError(
        f"没有这一天（{text[:20]}），请核对日期",
        f"There is no such date ({text[:20]}); please check it",
    )


class DateSlot(SlotType):
    """A calendar date. Params: ``past_only``, ``future_only``, ``min_days_ago``,
    ``max_days_ago`` (days before today, counted in Shanghai)."""

    name: ClassVar[str] = "date"
    params: ClassVar[frozenset[str]] = frozenset(
        {"past_only", "future_only", "min_days_ago", "max_days_ago"}
    )

    def parse(self, answer: Answer, ctx: ParseContext) -> str:
        text = loose(answer.text)
        today = today_in_city(ctx.now)
        if text in RELATIVE:
            found = today + timedelta(days=RELATIVE[text])
        elif m := _DAYS_AGO.fullmatch(text):
            ago = whole(m.group(1))
            if ago is None or ago > 36500:
                raise _UNREADABLE
            found = today - timedelta(days=ago)
        else:
            fields = _fields(text)
            if fields is None:
                raise _UNREADABLE
            year, month, day = fields
            try:
                if year is None:
                    found = _resolve_year(month, day, today, ctx.params)
                else:
                    found = date(year, month, day)
            except (ValueError, OverflowError):
                raise _no_such_date(answer.text.strip()) from None
        self._check_window(found, today, ctx.params)
        return found.isoformat()

    @staticmethod
    def _check_window(found: date, today: date, params: Mapping[str, Any]) -> None:
        if params.get("past_only") and found > today:
            raise SlotParseError("日期不能晚于今天，请重新输入", "The date can't be after today")
        if params.get("future_only") and found < today:
            raise SlotParseError("日期不能早于今天，请重新输入", "The date can't be before today")
        ago = (today - found).days
        most, least = params.get("max_days_ago"), params.get("min_days_ago")
        if most is not None and ago > most:
            earliest = today - timedelta(days=most)
            raise SlotParseError(
                f"日期不能早于{earliest.month}月{earliest.day}日（{most}天前）",
                f"The date can't be before {earliest.day} {MONTHS[earliest.month - 1].title()} "
                f"({most} days ago)",
            )
        if least is not None and ago < least:
            latest = today - timedelta(days=least)
            raise SlotParseError(
                f"日期不能晚于{latest.month}月{latest.day}日",
                f"The date can't be after {latest.day} {MONTHS[latest.month - 1].title()}",
            )

    def display(self, value: Any, lang: str, params: Mapping[str, Any]) -> str:
        d = date.fromisoformat(value)
        if lang == "zh":
            return f"{d.year}年{d.month}月{d.day}日"
        return f"{d.day} {MONTHS[d.month - 1].title()} {d.year}"

    def check_params(self, params: Mapping[str, Any]) -> list[str]:
        problems = check_bool_params(params, "past_only", "future_only")
        if params.get("past_only") is True and params.get("future_only") is True:
            problems.append("past_only and future_only cannot both be true")
        return problems + check_number_params(params, "min_days_ago", "max_days_ago", integral=True)
