"""Errors of the reservation engine: one root, a machine code, and zh/en texts for people."""

from __future__ import annotations

from typing import Any

from bot.errors import TongguanError


class ReservationError(TongguanError):
    """A refusal a resident or staff member should hear about.

    Args:
        code: stable machine code (``sold_out``, ``limit_reached`` …), used by the API.
        zh, en: what to tell the person.
        detail: JSON-able extras for API clients (e.g. ``next_possible``).
    """

    status = 409  #: HTTP status the web layer maps this error to

    def __init__(self, code: str, zh: str, en: str, **detail: Any) -> None:
        super().__init__(en)
        self.code = code
        self.zh = zh
        self.en = en
        self.detail = detail

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class InvalidInput(ReservationError):
    """A field is malformed or out of range (HTTP 422)."""

    status = 422

    def __init__(self, field: str, zh: str, en: str) -> None:
        super().__init__("invalid", zh, en, field=field)
        self.field = field


class NotFound(ReservationError):
    """An unknown store, product or pickup code (HTTP 404)."""

    status = 404


class RulesError(TongguanError):
    """``supply_rules.yml`` is missing or invalid; the message names the key."""


class ImportProblem(TongguanError):
    """A stores CSV had bad rows; nothing was imported. ``problems`` are (line, text)."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        lines = "; ".join(f"line {n}: {text}" for n, text in problems[:20])
        super().__init__(f"{len(problems)} bad row(s), nothing imported: {lines}")
        self.problems = problems
