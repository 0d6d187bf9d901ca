"""date: relative words in Shanghai time, Chinese and English spellings, windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slot_helpers import NOW, refused, run

from bot.dialogue.slots import SLOT_TYPES
from bot.dialogue.slots.dates import MONTHS as LOWER_MONTHS

MONTHS = [m.title() for m in LOWER_MONTHS]


def test_shanghai_is_already_the_next_day() -> None:
    assert run("date", "今天", now=datetime(2020, 2, 3, 23, 30, tzinfo=UTC)) == "2020-02-04"
    assert run("date", "today", now=datetime(2020, 2, 3, 15, 59, tzinfo=UTC)) == "2020-02-03"
    assert run("date", "today", now=datetime(2020, 2, 3, 16, 0, tzinfo=UTC)) == "2020-02-04"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("今天", "2020-02-04"), ("昨天", "2020-02-03"), ("前天", "2020-02-02"),
        ("明天", "2020-02-05"), ("today", "2020-02-04"), ("Yesterday", "2020-02-03"),
        ("3天前", "2020-02-01"), ("三天前", "2020-02-01"), ("3 days ago", "2020-02-01"),
        ("2月3日", "2020-02-03"), ("2月3号", "2020-02-03"), ("二月三日", "2020-02-03"),
        ("2020-02-03", "2020-02-03"), ("2020-2-3", "2020-02-03"), ("2020/2/3", "2020-02-03"),
        ("2020.2.3", "2020-02-03"), ("20200203", "2020-02-03"), ("2020年2月3日", "2020-02-03"),
        ("二〇二〇年二月三日", "2020-02-03"), ("2019年12月31日", "2019-12-31"),
        ("３ Feb", "2020-02-03"), ("3 Feb", "2020-02-03"), ("Feb 3", "2020-02-03"),
        ("3 February 2020", "2020-02-03"), ("February 3, 2020", "2020-02-03"),
        ("3rd Feb", "2020-02-03"), ("3rd of February", "2020-02-03"), ("feb. 3", "2020-02-03"),
        ("1 Sept 2019", "2019-09-01"), ("12月31日", "2020-12-31"),
    ],
)  # fmt: skip
def test_date_spellings(text: str, value: str) -> None:
    assert run("date", text) == value


def test_year_less_dates_with_past_only_and_future_only() -> None:
    assert run("date", "12月31日", past_only=True) == "2019-12-31"
    assert run("date", "2月4日", past_only=True) == "2020-02-04"
    assert run("date", "2月5日", past_only=True) == "2019-02-05"
    assert run("date", "2月3日", future_only=True) == "2021-02-03"
    assert run("date", "2月4日", future_only=True) == "2020-02-04"
    assert run("date", "Feb 29", past_only=True, now=datetime(2021, 6, 1, tzinfo=UTC)) == (
        "2020-02-29"
    )
    assert run("date", "2月29日", future_only=True, now=datetime(2021, 6, 1, tzinfo=UTC)) == (
        "2024-02-29"
    )
    assert "no such date" in refused("date", "2月29日", now=datetime(2021, 6, 1, tzinfo=UTC)).en


def test_past_and_future_refusals() -> None:
    assert "after today" in refused("date", "明天", past_only=True).en
    assert "after today" in refused("date", "2020-02-05", past_only=True).en
    assert "before today" in refused("date", "昨天", future_only=True).en
    assert run("date", "今天", past_only=True) == run("date", "今天", future_only=True)


def test_days_ago_window() -> None:
    error = refused("date", "2020-01-20", max_days_ago=14)
    assert "14" in error.en and "21 Jan" in error.en and "1月21日" in error.zh
    assert run("date", "2020-01-21", max_days_ago=14) == "2020-01-21"
    assert "after" in refused("date", "今天", min_days_ago=1).en
    assert run("date", "昨天", min_days_ago=1) == "2020-02-03"


@pytest.mark.parametrize(
    "text", ["", "someday", "2月30日", "2020-13-01", "2019-02-29", "13月1日", "32 Jan", "Foo 3"]
)
def test_date_refusals(text: str) -> None:
    refused("date", text)


def test_date_display_and_params() -> None:
    slot = SLOT_TYPES["date"]
    assert slot.display("2020-02-03", "zh", {}) == "2020年2月3日"
    assert slot.display("2020-02-03", "en", {}) == "3 Feb 2020"
    assert slot.check_params({"past_only": True, "max_days_ago": 14}) == []
    assert slot.check_params({"past_only": True, "future_only": True}) != []
    assert slot.check_params({"past_only": "yes"}) != []
    assert slot.check_params({"min_days_ago": 5, "max_days_ago": 1}) != []


@given(st.dates(min_value=date(1901, 1, 1), max_value=date(2099, 12, 31)))
def test_every_date_in_every_format(d: date) -> None:
    month = MONTHS[d.month - 1]
    for text in (
        d.isoformat(), f"{d.year}/{d.month}/{d.day}", f"{d.year}年{d.month}月{d.day}日",
        f"{d.day} {month} {d.year}", f"{month} {d.day}, {d.year}",
    ):  # fmt: skip
        assert run("date", text) == d.isoformat()


@given(st.integers(min_value=0, max_value=3650))
def test_days_ago_counts_back(n: int) -> None:
    expected = (date(2020, 2, 4) - timedelta(days=n)).isoformat()
    assert run("date", f"{n}天前") == run("date", f"{n} days ago") == expected
    assert NOW.tzinfo is not None
