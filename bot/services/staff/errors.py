"""Refusals of the staff services, each with a zh/en message and an HTTP status."""

from __future__ import annotations

from bot.errors import TongguanError


class StaffError(TongguanError):
    """A staff request refused: ``code`` for clients, ``zh``/``en`` for people."""

    def __init__(self, code: str, zh: str, en: str, *, status: int = 422,
                 retry_after: int | None = None) -> None:
        super().__init__(en)
        self.code, self.zh, self.en, self.status = code, zh, en, status
        self.retry_after = retry_after
