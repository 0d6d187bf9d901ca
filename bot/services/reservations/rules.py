"""Per-product rationing rules, read once from ``supply_rules.yml`` into frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot.services.reservations.errors import RulesError

DEFAULT_RULES_FILE = Path("supply_rules.yml")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MODES = ("first_come", "lottery")
PRIORITY_GROUPS = ("age80", "medical")


@dataclass(frozen=True)
class Rotation:
    """Who may reserve on which weekday; weekdays not named are open to all."""

    kind: str  #: ``id_parity`` or ``birth_year``
    by_day: dict[str, frozenset[str]]  #: weekday → allowed keys ("odd"/"even" or "0".."9")

    def allowed(self, weekday: str, key: str) -> bool | None:
        """True/False for a regulated day, None when the day is open to all."""
        keys = self.by_day.get(weekday)
        return None if keys is None else key in keys

    def days_for(self, key: str) -> list[str]:
        return [d for d in WEEKDAYS if d not in self.by_day or key in self.by_day[d]]


@dataclass(frozen=True)
class Priority:
    share: float  #: fraction of each release kept for the groups
    until: time  #: after this city time the kept share is open to all
    groups: frozenset[str]


@dataclass(frozen=True)
class ProductRule:
    code: str
    name: dict[str, str]
    unit: dict[str, str]
    pack_size: int
    mode: str
    max_per_reservation: int
    limit_packs: int
    #: a rolling window: counted from the reservation that began it, or the last pickup
    limit_days: int
    household: int  #: other persons one household may be reserved for, in a window
    rotation: Rotation | None = None
    priority: Priority | None = None


@dataclass(frozen=True)
class Rules:
    tz: ZoneInfo
    city_name: dict[str, str]
    center: tuple[float, float]
    radius_km: float
    opens_at: time
    closes_at: time
    pickup_days: int
    pickup_close: time
    reminder: timedelta
    max_stores: int
    max_km: float
    products: dict[str, ProductRule] = field(default_factory=dict)

    def product(self, code: str) -> ProductRule | None:
        return self.products.get(code)

    def city_day(self, now: datetime) -> date:
        """The city's calendar day at ``now`` (midnight in the city, not UTC)."""
        return now.astimezone(self.tz).date()

    def at(self, day: date, t: time) -> datetime:
        """City ``day`` at wall time ``t`` as an aware datetime."""
        return datetime.combine(day, t, tzinfo=self.tz)

    def window_end(self, day: date) -> datetime:
        return self.at(day + timedelta(days=self.pickup_days), self.pickup_close)


def _time(value: Any, where: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise RulesError(f"{where}: expected HH:MM, got {value!r}") from None


def _texts(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not value.get("zh") or not value.get("en"):
        raise RulesError(f"{where}: needs zh and en")
    return {"zh": str(value["zh"]), "en": str(value["en"])}


def _positive(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise RulesError(f"{where}: must be a positive whole number, got {value!r}")
    return value


def _rotation(data: dict[str, Any], where: str) -> Rotation:
    kind = data.get("kind")
    by_day: dict[str, set[str]] = {}
    if kind == "id_parity":
        for parity in ("odd", "even"):
            for day in data.get(parity) or []:
                by_day.setdefault(_weekday(day, where), set()).add(parity)
    elif kind == "birth_year":
        for day, digits in (data.get("schedule") or {}).items():
            by_day[_weekday(day, where)] = {str(int(d) % 10) for d in digits}
    else:
        raise RulesError(f"{where}.kind: must be id_parity or birth_year")
    return Rotation(kind, {d: frozenset(k) for d, k in by_day.items()})


def _weekday(day: Any, where: str) -> str:
    if str(day).lower()[:3] not in WEEKDAYS:
        raise RulesError(f"{where}: unknown weekday {day!r}")
    return str(day).lower()[:3]


def _product(code: str, data: dict[str, Any]) -> ProductRule:
    where = f"products.{code}"
    mode = data.get("mode", "first_come")
    if mode not in MODES:
        raise RulesError(f"{where}.mode: must be first_come or lottery")
    limit = data.get("limit") or {}
    priority = None
    if data.get("priority"):
        p = data["priority"]
        share = float(p.get("share", 0))
        if not 0 <= share < 1:
            raise RulesError(f"{where}.priority.share: must be between 0 and 1")
        groups = frozenset(p.get("groups") or PRIORITY_GROUPS)
        if groups - set(PRIORITY_GROUPS):
            raise RulesError(f"{where}.priority.groups: known groups are {PRIORITY_GROUPS}")
        priority = Priority(share, _time(p.get("until", "23:59"), f"{where}.priority.until"),
                            groups)
    rule = ProductRule(
        code=code, name=_texts(data.get("name"), f"{where}.name"),
        unit=_texts(data.get("unit"), f"{where}.unit"),
        pack_size=_positive(data.get("pack_size", 1), f"{where}.pack_size"), mode=mode,
        max_per_reservation=_positive(data.get("max_per_reservation", 1),
                                      f"{where}.max_per_reservation"),
        limit_packs=_positive(limit.get("packs", 1), f"{where}.limit.packs"),
        limit_days=_positive(limit.get("days", 1), f"{where}.limit.days"),
        household=int(data.get("household", 0)),
        rotation=_rotation(data["rotation"], f"{where}.rotation") if data.get("rotation")
        else None, priority=priority)
    if rule.max_per_reservation > rule.limit_packs:
        raise RulesError(f"{where}.max_per_reservation: larger than limit.packs")
    return rule


def parse_rules(data: dict[str, Any]) -> Rules:
    """Rules from a parsed YAML mapping.

    Raises:
        RulesError: a key is missing or invalid (the message names it).
    """
    if not isinstance(data, dict):
        raise RulesError("supply rules: must be a mapping")
    city, release = data.get("city") or {}, data.get("release") or {}
    pickup, nearest = data.get("pickup") or {}, data.get("nearest") or {}
    center = city.get("center") or [30.5928, 114.3055]
    rules = Rules(
        tz=ZoneInfo(data.get("timezone", "Asia/Shanghai")),
        city_name=_texts(city.get("name", {"zh": "本市", "en": "the city"}), "city.name"),
        center=(float(center[0]), float(center[1])),
        radius_km=float(city.get("radius_km", 100)),
        opens_at=_time(release.get("opens_at", "08:00"), "release.opens_at"),
        closes_at=_time(release.get("closes_at", "20:00"), "release.closes_at"),
        pickup_days=int(pickup.get("days", 1)),
        pickup_close=_time(pickup.get("close_time", "20:00"), "pickup.close_time"),
        reminder=timedelta(hours=float(pickup.get("reminder_hours", 2))),
        max_stores=int(nearest.get("max_stores", 5)), max_km=float(nearest.get("max_km", 15)),
        products={str(c): _product(str(c), p or {}) for c, p in
                  (data.get("products") or {}).items()})
    if rules.closes_at <= rules.opens_at:
        raise RulesError("release.closes_at: must be later than opens_at")
    return rules


def load_rules(path: Path | None = None) -> Rules:
    """Read the rules file (default ``supply_rules.yml`` in the working directory)."""
    path = path or DEFAULT_RULES_FILE
    try:
        return parse_rules(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except FileNotFoundError:
        raise RulesError(f"{path}: file not found") from None
    except yaml.YAMLError as err:
        raise RulesError(f"{path}: not valid YAML") from err
