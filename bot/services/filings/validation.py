"""A filing's answers checked field by field, the same for the JSON API and the chat.

:func:`validate_filing` returns a :class:`FilingInput` or raises
:class:`~bot.services.filings.errors.FilingInvalid` with one error per bad field (every
field is checked; nothing stops at the first problem).

The USCC check character (GB 32100-2015) comes from python-stdnum (``stdnum.cn.uscc``,
maintained, the library the chat's ``uscc`` slot uses); its ``validate`` is not used
because it demands 8 leading digits, refusing real codes whose registration authority
is A, N or Y (see ``bot/dialogue/slots/identity.py``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from stdnum.cn import uscc as stdnum_uscc

from bot.services.filings.catalog import DISTRICTS, INDUSTRIES, NEEDS, values
from bot.services.filings.errors import FieldError, FilingInvalid

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_SEPARATORS = re.compile(r"[\s\-_.]+")
_PHONE = re.compile(r"1[3-9]\d{9}")
SUPPLIES = ("masks", "thermometers", "disinfectant")
MAX_ORIGINS = 50
MAX_STAFF = 1_000_000
FIELDS = ("firm_name", "uscc", "industry", "district", "street", "address", "contact_name",
          "contact_phone", "staff_total", "staff_returning", "staff_origins",
          "staff_risk_14d", "isolation_rooms", "prevention_lead", "supplies_days",
          "planned_start", "capacity_percent", "needs", "pledge")


@dataclass(frozen=True)
class Origin:
    province: str
    city: str
    count: int

    def to_json(self) -> dict[str, Any]:
        return {"province": self.province, "city": self.city, "count": self.count}


@dataclass(frozen=True)
class FilingInput:
    """A valid filing as the firm gave it (contact and lead are sealed when stored)."""

    firm_name: str
    uscc: str
    industry: str
    district: str
    street: str
    address: str
    contact_name: str
    contact_phone: str
    staff_total: int
    staff_returning: int
    staff_origins: tuple[Origin, ...]
    staff_risk_14d: int
    isolation_rooms: int
    prevention_lead: str
    supplies_days: dict[str, int]
    planned_start: date
    capacity_percent: int
    needs: tuple[str, ...]

    def facts(self, today: date) -> dict[str, Any]:
        """The values pre-screen conditions see (``filing_rules.yml``)."""
        return {
            "industry": self.industry, "district": self.district,
            "staff_total": self.staff_total, "staff_returning": self.staff_returning,
            "staff_risk_14d": self.staff_risk_14d, "isolation_rooms": self.isolation_rooms,
            "masks_days": self.supplies_days["masks"],
            "thermometers_days": self.supplies_days["thermometers"],
            "disinfectant_days": self.supplies_days["disinfectant"],
            "capacity_percent": self.capacity_percent,
            "days_to_start": (self.planned_start - today).days,
            "origin_provinces": sorted({o.province for o in self.staff_origins}),
            "needs": list(self.needs),
        }

    def public_json(self) -> dict[str, Any]:
        """Every field except the sealed ones (contact name, phone, prevention lead)."""
        return {"firm_name": self.firm_name, "uscc": self.uscc, "industry": self.industry,
                "district": self.district, "street": self.street, "address": self.address,
                "staff_total": self.staff_total, "staff_returning": self.staff_returning,
                "staff_origins": [o.to_json() for o in self.staff_origins],
                "staff_risk_14d": self.staff_risk_14d,
                "isolation_rooms": self.isolation_rooms,
                "supplies_days": dict(self.supplies_days),
                "planned_start": self.planned_start.isoformat(),
                "capacity_percent": self.capacity_percent, "needs": list(self.needs)}


def normalize_uscc(text: str) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()


def uscc_problem(value: str) -> tuple[str, str, str] | None:
    """Why ``value`` (normalized) is no USCC: (code, zh, en), or None when it is one."""
    if len(value) != 18:
        return ("uscc_length", "统一社会信用代码应为18位。",
                "A unified social credit code has 18 characters.")
    if any(c not in USCC_ALPHABET for c in value):
        return ("uscc_characters", "统一社会信用代码只含数字和大写字母（不含I、O、S、V、Z）。",
                "A unified social credit code has only digits and letters other than "
                "I, O, S, V, Z.")
    if value[-1] != stdnum_uscc.calc_check_digit(value[:17] + "0"):
        return ("uscc_check", "统一社会信用代码校验位不符，可能有输错的字符。",
                "The code's check character does not match: a character may be mistyped.")
    return None


def normalize_phone(text: str) -> str:
    digits = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", text))
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == 11 + len(prefix):
            return digits[len(prefix):]
    return digits


class _Checker:
    """Collects one error per field while reading the body."""

    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = body
        self.errors: list[FieldError] = []

    def bad(self, name: str, code: str, zh: str, en: str) -> None:
        self.errors.append(FieldError(name, code, zh, en))

    def text(self, name: str, label: tuple[str, str], lo: int, hi: int) -> str:
        value = self.body.get(name)
        if not isinstance(value, str) or not value.strip():
            self.bad(name, "required", f"请填写{label[0]}。", f"{label[1]} is required.")
            return ""
        value = " ".join(unicodedata.normalize("NFKC", value).split())
        if not lo <= len(value) <= hi:
            self.bad(name, "length", f"{label[0]}应为{lo}到{hi}个字。",
                     f"{label[1]} must be {lo} to {hi} characters long.")
        return value

    def integer(self, name: str, label: tuple[str, str], lo: int, hi: int,
                value: Any = None, shown: str | None = None) -> int:
        shown = shown or name
        value = self.body.get(name) if value is None else value
        if isinstance(value, bool) or not isinstance(value, int):
            self.bad(shown, "not_integer", f"{label[0]}应为整数。",
                     f"{label[1]} must be a whole number.")
            return 0
        if not lo <= value <= hi:
            self.bad(shown, "out_of_range", f"{label[0]}应在{lo}到{hi}之间。",
                     f"{label[1]} must be between {lo} and {hi}.")
        return value

    def choice(self, name: str, label: tuple[str, str], allowed: frozenset[str]) -> str:
        value = self.body.get(name)
        if not isinstance(value, str) or value not in allowed:
            listed = ", ".join(sorted(allowed))
            self.bad(name, "not_allowed", f"{label[0]}须为以下之一：{listed}。",
                     f"{label[1]} must be one of: {listed}.")
            return ""
        return value


def validate_filing(body: Any, *, today: date) -> FilingInput:
    """Check every field of a filing body (``today`` is the city's date).

    Raises:
        FilingInvalid: one :class:`FieldError` per bad (or unknown) field.
    """
    if not isinstance(body, Mapping):
        raise FilingInvalid([FieldError("", "not_object", "内容应为 JSON 对象。",
                                        "The body must be a JSON object.")])
    c = _Checker(body)
    for extra in sorted(str(k) for k in body if k not in FIELDS):
        c.bad(extra[:60], "unknown_field", "不认识这一项。", "Unknown field.")
    firm_name = c.text("firm_name", ("企业名称", "Firm name"), 2, 100)
    code = ""
    raw = body.get("uscc")
    if not isinstance(raw, str) or not raw.strip():
        c.bad("uscc", "required", "请填写统一社会信用代码。",
              "The unified social credit code is required.")
    else:
        code = normalize_uscc(raw)
        problem = uscc_problem(code)
        if problem:
            c.bad("uscc", *problem)
    industry = c.choice("industry", ("行业", "Industry"), values(INDUSTRIES))
    district = c.choice("district", ("所在区", "District"), values(DISTRICTS))
    street = c.text("street", ("街道", "Street"), 2, 60)
    address = c.text("address", ("地址", "Address"), 4, 200)
    contact_name = c.text("contact_name", ("联系人姓名", "Contact name"), 2, 30)
    phone = ""
    raw = body.get("contact_phone")
    if not isinstance(raw, str) or not raw.strip():
        c.bad("contact_phone", "required", "请填写联系电话。", "The contact phone is required.")
    else:
        phone = normalize_phone(raw)
        if not _PHONE.fullmatch(phone):
            c.bad("contact_phone", "phone", "联系电话应为11位手机号，如 13812345678。",
                  "The contact phone must be an 11-digit mobile number, e.g. 13812345678.")
    total = c.integer("staff_total", ("员工总数", "Staff total"), 1, MAX_STAFF)
    returning = c.integer("staff_returning", ("返岗人数", "Returning staff"), 0, MAX_STAFF)
    if total and returning > total:
        c.bad("staff_returning", "over_total", "返岗人数不能多于员工总数。",
              "Returning staff cannot outnumber the staff total.")
    origins = _origins(c, returning)
    risk = c.integer("staff_risk_14d", ("14天内到过风险地区的员工数", "Staff in risk areas"),
                     0, MAX_STAFF)
    if total and risk > total:
        c.bad("staff_risk_14d", "over_total", "到过风险地区的员工不能多于员工总数。",
              "Staff in risk areas cannot outnumber the staff total.")
    rooms = c.integer("isolation_rooms", ("隔离观察室数量", "Isolation rooms"), 0, 10_000)
    lead = c.text("prevention_lead", ("防疫负责人", "Prevention lead"), 2, 30)
    supplies = _supplies(c)
    start = _start(c, today)
    capacity = c.integer("capacity_percent", ("复工产能比例", "Capacity"), 1, 100)
    needs = _needs(c)
    if body.get("pledge") is not True:
        c.bad("pledge", "pledge", "须承诺所填信息真实并落实防控措施（pledge 为 true）。",
              "The pledge must be given (pledge: true).")
    if c.errors:
        raise FilingInvalid(c.errors)
    return FilingInput(firm_name, code, industry, district, street, address, contact_name,
                       phone, total, returning, origins, risk, rooms, lead, supplies, start,
                       capacity, needs)


def _origins(c: _Checker, returning: int) -> tuple[Origin, ...]:
    raw = c.body.get("staff_origins")
    if not isinstance(raw, list) or len(raw) > MAX_ORIGINS:
        c.bad("staff_origins", "not_list", f"员工来源应为列表（最多{MAX_ORIGINS}项）。",
              f"Staff origins must be a list of at most {MAX_ORIGINS} entries.")
        return ()
    out: list[Origin] = []
    for i, item in enumerate(raw):
        name = f"staff_origins[{i}]"
        if not isinstance(item, Mapping) or set(item) - {"province", "city", "count"}:
            c.bad(name, "bad_origin", "每项应为 {province, city, count}。",
                  "Each entry must be {province, city, count}.")
            continue
        place = []
        for key, lo, hi in (("province", 2, 20), ("city", 1, 30)):
            value = item.get(key)
            if not isinstance(value, str) or not lo <= len(value.strip()) <= hi:
                c.bad(f"{name}.{key}", "length", f"{key} 应为{lo}到{hi}个字。",
                      f"{key} must be {lo} to {hi} characters long.")
                value = ""
            place.append(" ".join(str(value).split()))
        before = len(c.errors)
        count = c.integer("count", ("人数", "count"), 1, MAX_STAFF, value=item.get("count"),
                          shown=f"{name}.count")
        if len(c.errors) == before and all(place):
            out.append(Origin(place[0], place[1], count))
    if returning and len(out) == len(raw) and sum(o.count for o in out) > returning:
        c.bad("staff_origins", "over_returning", "各地来源人数之和不能多于返岗人数。",
              "The origins add up to more than the returning staff.")
    return tuple(out)


def _supplies(c: _Checker) -> dict[str, int]:
    raw = c.body.get("supplies_days")
    if not isinstance(raw, Mapping) or set(raw) != set(SUPPLIES):
        c.bad("supplies_days", "bad_supplies", "物资储备应为 {masks, thermometers, "
              "disinfectant}，各为可用天数。",
              "supplies_days must be {masks, thermometers, disinfectant}, each in days.")
        return {k: 0 for k in SUPPLIES}
    return {k: c.integer(k, ("物资储备天数", "Days of supplies"), 0, 3650, value=raw[k],
                         shown=f"supplies_days.{k}") for k in SUPPLIES}


def _start(c: _Checker, today: date) -> date:
    raw = c.body.get("planned_start")
    try:
        start = date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
    except ValueError:
        start = None
    if start is None:
        c.bad("planned_start", "not_date", "计划复工日期应为 YYYY-MM-DD 格式的日期。",
              "planned_start must be a date written YYYY-MM-DD.")
        return today
    if start < today:
        c.bad("planned_start", "in_past", "计划复工日期不能早于今天。",
              "The planned start date cannot be in the past.")
    return start


def _needs(c: _Checker) -> tuple[str, ...]:
    raw = c.body.get("needs")
    allowed = values(NEEDS)
    if not isinstance(raw, list) or any(not isinstance(n, str) or n not in allowed
                                        for n in raw) or len(set(raw)) != len(raw):
        listed = ", ".join(n.value for n in NEEDS)
        c.bad("needs", "not_allowed", f"需求应为不重复的列表，取值：{listed}。",
              f"needs must be a list without repeats of: {listed}.")
        return ()
    return tuple(n.value for n in NEEDS if n.value in raw)
