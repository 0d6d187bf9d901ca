"""Declarative, safe conditions admins write in flows; nothing is evaluated as Python.

Forms::

    {slot: temperature, gte: 37.3}        # eq ne gt gte lt lte in not_in contains
    {slot: symptoms, contains: fever}     # list slot holds a value
    {slot: phone, filled: true}           # answered (or skipped: filled false)
    {all: [cond, ...]}  {any: [cond, ...]}  {not: cond}

A comparison on a slot with no value is false. A comparison whose types do not fit
(``gt`` on text) is refused at load time; should one slip through at run time it raises
:class:`ConditionError` rather than quietly taking a branch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.dialogue.flows.yamlines import strip_lines
from bot.errors import TongguanError

COMPARISONS = frozenset({"eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "contains",
                         "filled"})
ORDERED = frozenset({"gt", "gte", "lt", "lte"})


class ConditionError(TongguanError):
    """A condition is malformed, or cannot be evaluated on the values at hand."""


@dataclass(frozen=True)
class Compare:
    slot: str
    op: str
    value: Any


@dataclass(frozen=True)
class AllOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


Condition = Compare | AllOf | AnyOf | Not


def parse_condition(node: Any) -> Condition:
    """Parse a condition from YAML data.

    Raises:
        ConditionError: unknown operator, wrong shape or a value of the wrong kind.
    """
    if not isinstance(node, Mapping) or not node:
        raise ConditionError("a condition must be a mapping such as {slot: x, eq: 1}")
    keys = set(node)
    if keys == {"all"} or keys == {"any"}:
        key = keys.pop()
        items = node[key]
        if not isinstance(items, list) or not items:
            raise ConditionError(f"'{key}' needs a non-empty list of conditions")
        parsed = tuple(parse_condition(i) for i in items)
        return AllOf(parsed) if key == "all" else AnyOf(parsed)
    if keys == {"not"}:
        return Not(parse_condition(node["not"]))
    names = sorted(str(k) for k in keys)
    if "slot" not in keys:
        raise ConditionError(f"unknown condition keys {names}; use slot/all/any/not")
    ops = keys - {"slot"}
    if len(ops) != 1:
        raise ConditionError("a slot condition needs exactly one operator: "
                             + ", ".join(sorted(COMPARISONS)))
    op = ops.pop()
    if op not in COMPARISONS:
        known = ", ".join(sorted(COMPARISONS))
        raise ConditionError(f"unknown operator '{op}'; use one of {known}")
    value = strip_lines(node[op])
    if op in ORDERED and (not isinstance(value, (int, float)) or isinstance(value, bool)):
        raise ConditionError(f"'{op}' compares numbers; {value!r} is not a number")
    if op in ("in", "not_in") and not isinstance(value, list):
        raise ConditionError(f"'{op}' needs a list")
    if op == "filled" and not isinstance(value, bool):
        raise ConditionError("'filled' takes true or false")
    slot = node["slot"]
    if not isinstance(slot, str) or not slot:
        raise ConditionError("'slot' must name a slot")
    return Compare(slot, op, value)


def slots_of(cond: Condition) -> list[Compare]:
    """Every comparison inside a condition (for load-time checks)."""
    if isinstance(cond, Compare):
        return [cond]
    if isinstance(cond, Not):
        return slots_of(cond.item)
    return [c for item in cond.items for c in slots_of(item)]


def evaluate(cond: Condition, slots: Mapping[str, Any]) -> bool:
    """Evaluate ``cond`` against the slot values.

    Raises:
        ConditionError: the slot's value cannot be compared that way.
    """
    if isinstance(cond, AllOf):
        return all(evaluate(c, slots) for c in cond.items)
    if isinstance(cond, AnyOf):
        return any(evaluate(c, slots) for c in cond.items)
    if isinstance(cond, Not):
        return not evaluate(cond.item, slots)
    value = slots.get(cond.slot)
    if cond.op == "filled":
        return (value is not None and value != "" and value != []) == cond.value
    if value is None:
        return False
    if cond.op == "eq":
        return value == cond.value
    if cond.op == "ne":
        return value != cond.value
    if cond.op == "in":
        return value in cond.value
    if cond.op == "not_in":
        return value not in cond.value
    if cond.op == "contains":
        if not isinstance(value, (list, str)):
            raise ConditionError(f"slot {cond.slot} holds {type(value).__name__}; "
                                 "'contains' needs a list or text")
        return cond.value in value
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ConditionError(f"slot {cond.slot} holds {type(value).__name__}; "
                             f"'{cond.op}' needs a number")
    return {"gt": value > cond.value, "gte": value >= cond.value,
            "lt": value < cond.value, "lte": value <= cond.value}[cond.op]
