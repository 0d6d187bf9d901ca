"""Why a staff member's handoff request was refused, in zh and en, with its HTTP status."""

from __future__ import annotations

from bot.errors import TongguanError


class HandoffError(TongguanError):
    """A refused inbox action; ``status`` is the HTTP status the web layer answers."""

    def __init__(self, status: int, code: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.status = status
        self.code = code
        self.zh = zh
        self.en = en


def not_found() -> HandoffError:
    return HandoffError(404, "not_found", "没有这个人工服务请求（或不在您负责的区）。",
                        "No such handoff request (or not in your district).")


def closed() -> HandoffError:
    return HandoffError(409, "closed", "这个人工服务已结束，不能再操作。",
                        "This handoff is closed; it can no longer be changed or answered.")


def claimed_by_other(by: str) -> HandoffError:
    return HandoffError(409, "claimed", f"已由 {by} 接手。", f"Already claimed by {by}.")


def not_claimed() -> HandoffError:
    return HandoffError(409, "not_claimed", "请先接手这个请求再回复。",
                        "Claim this request before replying.")


def bad_text(zh: str, en: str) -> HandoffError:
    return HandoffError(422, "invalid", zh, en)
