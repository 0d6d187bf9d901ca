"""Who may reserve what today: quantity bounds, rotation days, priority groups."""

from __future__ import annotations

from datetime import date, datetime

from bot.services.reservations.errors import InvalidInput, ReservationError
from bot.services.reservations.identity import Person
from bot.services.reservations.rules import WEEKDAYS, ProductRule, Rules

_DAY_ZH = dict(zip(WEEKDAYS, "一二三四五六日", strict=True))
_DAY_EN = dict(zip(WEEKDAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))


def check_quantity(rule: ProductRule, quantity: object) -> int:
    """A whole number of packs between 1 and the product's per-reservation maximum."""
    if isinstance(quantity, bool) or not isinstance(quantity, int | str):
        quantity = None
    try:
        q = int(quantity)  # type: ignore[arg-type]  # None raises TypeError, caught: q = 0
    except (TypeError, ValueError):
        q = 0
    if not 1 <= q <= rule.max_per_reservation:
        n = rule.max_per_reservation
        raise InvalidInput("quantity", f"数量须为 1 到 {n} 份。",
                           f"Quantity must be between 1 and {n} pack(s).")
    return q


def check_rotation(rule: ProductRule, person: Person, day: date) -> None:
    """Raises ``not_rotation_day`` (with the person's days) when today is not theirs."""
    rotation = rule.rotation
    if rotation is None:
        return
    weekday = WEEKDAYS[day.weekday()]
    key = person.parity if rotation.kind == "id_parity" else person.birth_year_digit
    if rotation.allowed(weekday, key) is not False:
        return
    days = rotation.days_for(key)
    if rotation.kind == "id_parity":
        why_zh = "身份证末位为" + ("单数" if key == "odd" else "双数")
        why_en = f"IDs ending in an {key} digit"
    else:
        why_zh, why_en = f"出生年份尾数为 {key}", f"birth years ending in {key}"
    raise ReservationError(
        "not_rotation_day",
        f"今天不是您的预约日。{why_zh}的居民可在星期" + "、".join(_DAY_ZH[d] for d in days)
        + "预约。",
        f"Today is not your day. For {why_en} the days are "
        + ", ".join(_DAY_EN[d] for d in days) + ".", days=days)


def priority_kept(rules: Rules, rule: ProductRule, now: datetime) -> bool:
    """Whether the priority share is still held back from everyone else at ``now``."""
    prio = rule.priority
    return prio is not None and now < rules.at(rules.city_day(now), prio.until)
