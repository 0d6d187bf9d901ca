"""The person a reservation belongs to: a checked resident ID number and a name.

The ID is validated here (GB 11643-1999: 17 digits, a valid birth date, ISO 7064
MOD 11-2 check character) so the engine does not depend on the chat layer; the core's
``id_number`` slot type applies the same rule to typed answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.privacy import Sealer
from bot.services.reservations.errors import InvalidInput

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
MAX_NAME = 40


def id_check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def normalize_id(raw: str) -> str:
    """An 18-character resident ID in canonical form.

    Raises:
        InvalidInput: wrong length, a bad birth date or a wrong check character.
    """
    value = str(raw or "").strip().replace(" ", "").upper()
    bad = InvalidInput("id_number", "身份证号码不正确，请核对后重新输入（18位）。",
                       "That ID number is not valid; please check it (18 characters).")
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit()
                                                             or value[17] == "X"):
        raise bad
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise bad from None
    if id_check_char(value[:17]) != value[17]:
        raise bad
    return value


def normalize_name(raw: str) -> str:
    name = " ".join(str(raw or "").split())
    if not name or len(name) > MAX_NAME or any(c.isdigit() for c in name):
        raise InvalidInput("name", "请输入证件上的姓名。", "Please give the name on the ID.")
    return name


@dataclass(frozen=True)
class Person:
    """A verified person: blind-indexed key, sealed name and what the rules look at."""

    key: str  #: keyed blind index of the ID number
    name_sealed: bytes
    birth: date
    parity: str  #: "odd" / "even" by the last ID character (X counts as 10, even)

    def age_on(self, day: date) -> int:
        years = day.year - self.birth.year
        return years - ((day.month, day.day) < (self.birth.month, self.birth.day))

    @property
    def birth_year_digit(self) -> str:
        return str(self.birth.year % 10)


def make_person(sealer: Sealer, name: str, id_number: str) -> Person:
    """Check and seal: nothing of the ID number leaves this function in clear."""
    value = normalize_id(id_number)
    clean = normalize_name(name)
    last = 10 if value[17] == "X" else int(value[17])
    return Person(key=sealer.blind_index("id_number", value),
                  name_sealed=sealer.seal(clean),
                  birth=date(int(value[6:10]), int(value[10:12]), int(value[12:14])),
                  parity="odd" if last % 2 else "even")


def fake_id(seed: int, birth: date | None = None, last_odd: bool | None = None) -> str:
    """A valid, distinct-per-seed ID for demos, tests and benchmarks (area 310101)."""
    birth = birth or date(1950, 1, 1) + timedelta(days=(seed // 100) % 20000)
    for k in range(10):
        first17 = f"310101{birth:%Y%m%d}{(seed % 100) * 10 + k:03d}"
        check = id_check_char(first17)
        value = 10 if check == "X" else int(check)
        if last_odd is None or (value % 2 == 1) == last_odd:
            return first17 + check
    raise AssertionError("unreachable: ten sequence numbers cover both parities")
