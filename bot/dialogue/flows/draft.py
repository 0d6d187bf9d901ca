"""A flow text being edited (a draft): its problems as line, column and message, the way
the studio and ``tongguan flows import`` show them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.dialogue.flows.model import Flow, Menu
from bot.dialogue.flows.registry import FlowRegistry

#: a flow's name: its file stem and, for flows, its id
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,59}$")


@dataclass(frozen=True)
class Problem:
    """One problem of a draft, 1-based ``line`` and ``column``."""

    line: int
    column: int
    message: str
    rule: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message,
                "rule": self.rule}


def _column(text: str, line: int) -> int:
    """Where the content of ``line`` starts (1 past its indentation)."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return 1
    row = lines[line - 1]
    return len(row) - len(row.lstrip(" ")) + 1


def check_draft(registry: FlowRegistry, name: str, text: str, *, max_bytes: int,
                require_name: bool = True) -> tuple[Flow | Menu | None, list[Problem]]:
    """The flow (or menu) ``text`` would be as ``name`` and its problems, checked
    against the live flows; nothing changes. A text over ``max_bytes`` is not parsed."""
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        return None, [Problem(1, 1, f"the flow is {size:,} bytes; at most {max_bytes:,} "
                                    "are accepted", "too-large")]
    if not text.strip():
        return None, [Problem(1, 1, "the flow is empty", "missing-field")]
    obj, found = registry.check_text(name, text, require_name=require_name)
    problems = [Problem(p.line or 1, p.column or _column(text, p.line or 1),
                        p.message + (f" (step {p.step})" if p.step else ""), p.rule)
                for p in found]
    if obj is None and not problems:
        problems = [Problem(1, 1, "not a flow or menu: kind is for another tool", "bad-value")]
    return obj, sorted(problems, key=lambda p: (p.line, p.column))
