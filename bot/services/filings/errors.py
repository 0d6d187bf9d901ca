"""The filings' errors: one root, each with zh and en text and an HTTP-ish status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.errors import TongguanError


class FilingError(TongguanError):
    """A filing request refused; ``zh``/``en`` are shown to the firm or the reviewer.

    ``status`` is what the web layer answers (409 a conflict, 404 not found...);
    ``detail`` goes into the JSON error body as is (never identity data).
    """

    def __init__(self, status: int, code: str, zh: str, en: str,
                 **detail: Any) -> None:
        super().__init__(en)
        self.status = status
        self.code = code
        self.zh = zh
        self.en = en
        self.detail = detail


@dataclass(frozen=True)
class FieldError:
    """One bad field: its name (``supplies_days.masks`` for a nested one), a code and
    what is wrong in zh and en."""

    field: str
    code: str
    zh: str
    en: str

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "error": self.code, "message": self.en,
                "message_zh": self.zh}


class FilingInvalid(FilingError):
    """Some fields are bad: one :class:`FieldError` per bad field (422)."""

    def __init__(self, errors: list[FieldError]) -> None:
        n = len(errors)
        super().__init__(422, "invalid", f"有 {n} 项填写有误，请修改。",
                         f"{n} field(s) are invalid.")
        self.errors = list(errors)


def not_found(filing_id: int | str) -> FilingError:
    return FilingError(404, "not_found", "没有这份复工申报。", "No such filing.",
                       id=filing_id)
