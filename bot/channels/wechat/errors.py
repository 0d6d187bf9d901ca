"""Errors of the WeChat channel, rooted at :class:`WechatError`."""

from __future__ import annotations

from bot.errors import TongguanError


class WechatError(TongguanError):
    """Base of every WeChat channel error."""


class CallbackRejected(WechatError):
    """A callback request that must not be processed.

    Args:
        status: HTTP status to answer (400, 403, 413).
        event: log event suffix, e.g. ``bad_signature``.
    """

    def __init__(self, status: int, event: str) -> None:
        super().__init__(event)
        self.status = status
        self.event = event


class ApiError(WechatError):
    """WeChat's API answered with a non-zero ``errcode`` (or not at all: errcode -2)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"wechat api errcode={errcode} errmsg={errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


#: Access token invalid / expired / not the latest: refresh once and retry once.
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
#: The user has not talked to us for 48 hours: customer-service messages are refused.
OUT_OF_WINDOW = 45015
#: Quota / frequency limits: not worth retrying soon.
QUOTA_ERRORS = frozenset({45009, 45011, 45047, 45045})
#: The user refused or blocked messages / unfollowed.
USER_REFUSED = frozenset({43004, 43019, 40003})
#: The media_id is unknown to WeChat (expired): forget it and upload again.
INVALID_MEDIA = 40007
