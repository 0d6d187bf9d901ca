"""Identity numbers: ``id_number`` (居民身份证, GB 11643) and ``uscc`` (统一社会信用代码, GB 32100).

Check digits come from python-stdnum (``stdnum.cn.ric`` / ``stdnum.cn.uscc``), a maintained
library with both standards, rather than hand-written code. Its ``validate`` functions are
not used: ``cn.ric`` also demands a birth place in its own area table (refusing valid new or
renamed areas) and ``cn.uscc`` demands 8 leading digits (refusing real codes whose
registration authority is A, N or Y); we also need distinct, bilingual error messages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date
from typing import Any, ClassVar

from stdnum.cn import ric, uscc

from bot.clock import CITY_TZ

from ._text import norm
from .base import Answer, ParseContext, SlotParseError, SlotType

_SEPARATORS = re.compile(r"[\s\-_.]+")
_ID_SHAPE = re.compile(r"\d{17}[\dX]")
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _compact(text: str) -> str:
    return _SEPARATORS.sub("", norm(text)).upper()


def id_birth_date(value: str) -> date:
    """The birth date in an 18-character ID number (ValueError if it is no date)."""
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def id_last_digit(value: str) -> int:
    """The ID number's last character as a number, X counting as 10 (尾号 rules)."""
    last = value[-1].upper()
    return 10 if last == "X" else int(last)


def id_check_digit(first17: str) -> str:
    """The GB 11643 (ISO 7064 MOD 11-2) check character for 17 digits."""
    return ric.calc_check_digit(first17 + "0")


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a USCC."""
    return uscc.calc_check_digit(first17 + "0")


class IdNumberSlot(SlotType):
    """A mainland resident ID number: 18 characters, valid birth date, check digit.

    Spaces and dashes inside are dropped, x becomes X. mask: 3101…1234.
    """

    name: ClassVar[str] = "id_number"

    def parse(self, answer: Answer, ctx: ParseContext) -> str:
        value = _compact(answer.text)
        if len(value) != 18:
            raise SlotParseError(
                "身份证号应为18位，请核对后重新输入",
                "An ID number has 18 characters; please check and try again",
            )
        if not _ID_SHAPE.fullmatch(value):
            raise SlotParseError(
                "身份证号应为17位数字加1位数字或X，请核对后重新输入",
                "An ID number is 17 digits then a digit or X; please check and try again",
            )
        now = ctx.now if ctx.now.tzinfo else ctx.now.replace(tzinfo=UTC)
        try:
            born = id_birth_date(value)
        except ValueError:
            born = None
        if born is None or born > now.astimezone(CITY_TZ).date() or born.year < 1900:
            raise SlotParseError(
                "身份证号中的出生日期（第7–14位）不正确，请核对后重新输入",
                "The birth date in the ID number (characters 7–14) is not valid; please check it",
            )
        if value[-1] != id_check_digit(value[:17]):
            raise SlotParseError(
                "身份证号校验位不符，可能有输错的数字，请核对后重新输入",
                "The ID number's check digit doesn't match, so a digit may be mistyped; "
                "please check it",
            )
        return value

    def mask(self, value: Any, lang: str, params: Mapping[str, Any]) -> str:
        return f"{value[:4]}…{value[-4:]}"


class UsccSlot(SlotType):
    """A unified social credit code (统一社会信用代码): 18 characters with a check character."""

    name: ClassVar[str] = "uscc"

    def parse(self, answer: Answer, ctx: ParseContext) -> str:
        value = _compact(answer.text)
        if len(value) != 18:
            raise SlotParseError(
                "统一社会信用代码应为18位，请核对后重新输入",
                "A unified social credit code has 18 characters; please check and try again",
            )
        if any(c not in USCC_ALPHABET for c in value):
            raise SlotParseError(
                "统一社会信用代码只含数字和大写字母（不含I、O、S、V、Z），请核对",
                "A unified social credit code has only digits and letters other than "
                "I, O, S, V, Z; please check it",
            )
        if value[-1] != uscc_check_char(value[:17]):
            raise SlotParseError(
                "统一社会信用代码校验位不符，可能有输错的字符，请核对后重新输入",
                "The code's check character doesn't match, so a character may be mistyped; "
                "please check it",
            )
        return value


class PhoneSlot(SlotType):
    """A mainland mobile number (1[3-9] + 9 digits), with or without +86/0086/86.

    Value ``"13812345678"``; mask ``138****5678``.
    """

    name: ClassVar[str] = "phone"

    def parse(self, answer: Answer, ctx: ParseContext) -> str:
        value = re.sub(r"[\s\-_.()/]+", "", norm(answer.text))
        for prefix in ("+86", "0086", "86"):
            if value.startswith(prefix) and len(value) == len(prefix) + 11:
                value = value[len(prefix) :]
                break
        if len(value) != 11 or not (value.isascii() and value.isdigit()):
            raise SlotParseError(
                "手机号应为11位数字，例如 13812345678",
                "A mobile number has 11 digits, e.g. 13812345678",
            )
        if not re.fullmatch(r"1[3-9]\d{9}", value):
            raise SlotParseError(
                "请填写大陆手机号（以13–19开头），例如 13812345678",
                "Please give a mainland mobile number (starting 13–19), e.g. 13812345678",
            )
        return value

    def mask(self, value: Any, lang: str, params: Mapping[str, Any]) -> str:
        return f"{value[:3]}****{value[-4:]}"
