"""Slot types: parse a user's answer into a typed, JSON-native value.

``SLOT_TYPES`` maps each type name used in flow files to its (stateless) instance.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .base import Answer, ParseContext, SlotParseError, SlotType
from .choice import ChoiceSlot, MultiChoiceSlot
from .dates import DateSlot
from .identity import IdNumberSlot, PhoneSlot, UsccSlot, id_birth_date, id_last_digit
from .location import LocationSlot
from .numbers import DecimalSlot, IntegerSlot
from .temperature import TemperatureSlot
from .text import TextSlot
from .yes_no import YesNoSlot

__all__ = [
    "SLOT_TYPES",
    "Answer",
    "ChoiceSlot",
    "DateSlot",
    "DecimalSlot",
    "IdNumberSlot",
    "IntegerSlot",
    "LocationSlot",
    "MultiChoiceSlot",
    "ParseContext",
    "PhoneSlot",
    "SlotParseError",
    "SlotType",
    "TemperatureSlot",
    "TextSlot",
    "UsccSlot",
    "YesNoSlot",
    "get_slot_type",
    "id_birth_date",
    "id_last_digit",
]

SLOT_TYPES: Mapping[str, SlotType] = MappingProxyType(
    {
        cls.name: cls()
        for cls in (
            TextSlot,
            IntegerSlot,
            DecimalSlot,
            ChoiceSlot,
            MultiChoiceSlot,
            YesNoSlot,
            IdNumberSlot,
            PhoneSlot,
            TemperatureSlot,
            DateSlot,
            UsccSlot,
            LocationSlot,
        )  # fmt: skip
    }
)


def get_slot_type(name: str) -> SlotType:
    """The slot type called ``name``; KeyError listing the known names if there is none."""
    try:
        return SLOT_TYPES[name]
    except KeyError:
        raise KeyError(
            f"unknown slot type {name!r}; known: {', '.join(sorted(SLOT_TYPES))}"
        ) from None
