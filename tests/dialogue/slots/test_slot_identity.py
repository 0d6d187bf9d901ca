"""id_number, uscc and phone: checksums (checked against the standards' weights), masks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slot_helpers import USCC_CHARS, id_check, refused, run, uscc_check

from bot.dialogue.slots import SLOT_TYPES, id_birth_date, id_last_digit

VALID_ID = "11010519491231002X"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (VALID_ID, VALID_ID),
        ("11010519491231002x", VALID_ID),
        (" 110105 19491231 002X ", VALID_ID),
        ("110105-19491231-002x", VALID_ID),
        ("１１０１０５１９４９１２３１００２Ｘ", VALID_ID),
        ("440524190001010017", "440524190001010017"),
    ],
)
def test_id_spellings(text: str, value: str) -> None:
    assert run("id_number", text) == value


def test_id_errors_are_distinct() -> None:
    length = refused("id_number", "1101051949123100")
    assert "18" in length.zh and "18" in length.en
    shape = refused("id_number", "11010519491231002Y")
    check = refused("id_number", "110105194912310021")
    assert "check digit" in check.en and "校验" in check.zh
    body = "11010519490231002"  # 31 February, with a correct check digit
    born = refused("id_number", body + id_check(body))
    assert "birth date" in born.en and "出生日期" in born.zh
    assert len({length.en, shape.en, check.en, born.en}) == 4


def test_id_birth_date_not_in_future() -> None:
    body = "31010120200205123"  # born 5 Feb 2020; today in Shanghai is 4 Feb 2020
    refused("id_number", body + id_check(body))
    body = "31010120200204123"
    assert run("id_number", body + id_check(body)) == body + id_check(body)
    body = "44052418800101001"  # 1880: taken as a typo (no living person was born then)
    assert "birth date" in refused("id_number", body + id_check(body)).en


def test_id_helpers_and_mask() -> None:
    assert id_birth_date(VALID_ID) == date(1949, 12, 31)
    assert id_last_digit(VALID_ID) == 10
    assert id_last_digit("440524188001010014") == 4
    assert SLOT_TYPES["id_number"].mask("310101199001011234", "zh", {}) == "3101…1234"
    assert SLOT_TYPES["id_number"].display(VALID_ID, "en", {}) == VALID_ID


ID_BODIES = st.builds(
    lambda area, born, seq: f"{area:06d}{born:%Y%m%d}{seq:03d}",
    st.integers(min_value=110000, max_value=829999),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 2, 4)),
    st.integers(min_value=0, max_value=999),
)


@given(ID_BODIES, st.booleans())
def test_generated_ids_parse_and_round_trip(body: str, lower: bool) -> None:
    number = body + id_check(body)
    value = run("id_number", number.lower() if lower else number)
    assert value == number
    assert run("id_number", value) == value
    assert id_birth_date(value) == date(int(body[6:10]), int(body[10:12]), int(body[12:14]))


@given(ID_BODIES, st.sampled_from("0123456789X"))
def test_changed_check_digit_is_refused(body: str, digit: str) -> None:
    if digit != id_check(body):
        assert "check digit" in refused("id_number", body + digit).en


@given(ID_BODIES, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_single_digit_typo_is_refused(body: str, at: int, delta: int) -> None:
    number = body + id_check(body)
    typo = number[:at] + str((int(number[at]) + delta) % 10) + number[at + 1 :]
    refused("id_number", typo)


VALID_USCC = "91110000600037341L"


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


@pytest.mark.parametrize(
    "text",
    [VALID_USCC, "91110000600037341l", "9111 0000 6000 3734 1L", "9111-0000-6000-3734-1L",
     full_width(VALID_USCC)],
)  # fmt: skip
def test_uscc_spellings(text: str) -> None:
    assert run("uscc", text) == VALID_USCC
    assert run("uscc", "91350100M000100Y43") == "91350100M000100Y43"


def test_uscc_errors() -> None:
    assert "18" in refused("uscc", "9111000060003734").en
    assert "I, O" in refused("uscc", "91110000600037341I").en
    assert "check character" in refused("uscc", "91110000600037341K").en
    refused("uscc", "")


USCC_BODIES = st.text(alphabet=USCC_CHARS, min_size=17, max_size=17)


@given(USCC_BODIES)
def test_generated_uscc_parse(body: str) -> None:
    code = body + uscc_check(body)
    assert run("uscc", code.lower()) == code


@given(USCC_BODIES, st.sampled_from(USCC_CHARS))
def test_uscc_changed_check_char_is_refused(body: str, char: str) -> None:
    if char != uscc_check(body):
        assert "check character" in refused("uscc", body + char).en


@pytest.mark.parametrize(
    "text",
    ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "+8613812345678",
     "0086 13812345678", "86-138-1234-5678", "(+86) 138-1234-5678", "１３８１２３４５６７８",
     "(138)12345678"],
)  # fmt: skip
def test_phone_spellings(text: str) -> None:
    assert run("phone", text) == "13812345678"


@pytest.mark.parametrize(
    ("text", "hint"),
    [("1381234567", "11 digits"), ("138123456789", "11 digits"), ("phone", "11 digits"),
     ("12812345678", "mainland"), ("02112345678", "mainland"), ("+1 4155550123", "11 digits"),
     ("", "11 digits")],
)  # fmt: skip
def test_phone_errors(text: str, hint: str) -> None:
    assert hint in refused("phone", text).en


def test_phone_mask() -> None:
    assert SLOT_TYPES["phone"].mask("13812345678", "zh", {}) == "138****5678"


@given(st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_generated_phones(second: str, rest: str) -> None:
    number = f"1{second}{rest}"
    assert run("phone", f"+86 {number[:3]}-{number[3:7]}-{number[7:]}") == number


def test_naive_now_is_taken_as_utc() -> None:
    now = datetime(2020, 2, 3, 23, 30) + timedelta(0)
    body = "31010120200204123"
    assert run("id_number", body + id_check(body), now=now) == body + id_check(body)
    assert run("id_number", VALID_ID, now=datetime(2020, 1, 1, tzinfo=UTC)) == VALID_ID
