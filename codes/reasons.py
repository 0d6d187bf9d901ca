"""Stable reason codes of the verifier, with guard-readable messages in English and Chinese.

A reason is a machine code (it never changes once published); the messages may be
reworded. Warnings are advisory codes attached to a verdict that is still valid.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why a code was accepted or refused."""

    OK = "ok"
    BAD_PREFIX = "bad_prefix"
    TOO_LARGE = "too_large"
    BAD_BASE45 = "bad_base45"
    BAD_COMPRESSION = "bad_compression"
    BAD_COSE = "bad_cose"
    BAD_ALGORITHM = "bad_algorithm"
    TRUST_LIST_STALE = "trust_list_stale"
    UNKNOWN_KID = "unknown_kid"
    BAD_SIGNATURE = "bad_signature"
    BAD_CLAIMS = "bad_claims"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    KEY_NOT_VALID = "key_not_valid"
    KIND_NOT_ALLOWED = "kind_not_allowed"
    REVOKED = "revoked"
    NO_QR = "no_qr"
    NOT_A_HEALTH_CODE = "not_a_health_code"  #: a resumption notice where a code was asked
    NOT_A_NOTICE = "not_a_notice"  #: a health code (or DCC) where a notice was asked


class Notice(StrEnum):
    """Advisory codes on a verdict; the verdict keeps its validity."""

    TRUST_LIST_OLD = "trust_list_old"
    REVOCATION_LIST_EXPIRED = "revocation_list_expired"


MESSAGES: dict[str, tuple[str, str]] = {  #: reason → (zh, en)
    "ok": ("有效码。", "Valid code."),
    "ok_notice": ("有效的复工通知。", "Valid resumption notice."),  # reason "ok", a notice
    "bad_prefix": ("不是健康码（前缀无法识别）。", "Not a health code (unknown prefix)."),
    "too_large": ("码内容过大，不是健康码。", "The code is too large to be a health code."),
    "bad_base45": ("码已损坏（字符无效）。", "The code is damaged (bad characters)."),
    "bad_compression": ("码已损坏（压缩数据无效）。", "The code is damaged (bad compression)."),
    "bad_cose": ("码已损坏（签名结构无效）。", "The code is damaged (bad signature envelope)."),
    "bad_algorithm": ("该码使用了不允许的签名算法。",
                      "The code uses a signature algorithm that is not allowed."),
    "trust_list_stale": ("本设备的信任列表已过期，请更新后再核验。",
                         "The trust list on this device is too old; update it before checking."),
    "unknown_kid": ("该码由未知密钥签发。", "The code was signed by an unknown key."),
    "bad_signature": ("签名无效：该码可能被伪造或篡改。",
                      "The signature is not valid: the code may be forged or altered."),
    "bad_claims": ("码内容不完整或格式错误。", "The code content is incomplete or malformed."),
    "expired": ("该码已过期。", "The code has expired."),
    "not_yet_valid": ("该码尚未生效（请检查设备时间）。",
                      "The code is not valid yet (check the device clock)."),
    "key_not_valid": ("签发该码时签名密钥不在有效期内。",
                      "The signing key was not valid when this code was issued."),
    "kind_not_allowed": ("该签名密钥无权签发此类码。",
                         "The signing key may not issue this kind of code."),
    "revoked": ("该码已被撤销。", "The code has been revoked."),
    "no_qr": ("图片中未找到二维码。", "No QR code was found in the image."),
    "not_a_health_code": ("这是复工通知，不是健康码。",
                          "This is a resumption notice, not a health code."),
    "not_a_notice": ("这是健康码（或健康证书），不是复工通知。",
                     "This is a health code (or certificate), not a resumption notice."),
    "trust_list_old": ("信任列表已超过一天未更新，请尽快更新。",
                       "The trust list is more than a day old; update it soon."),
    "revocation_list_expired": ("撤销列表已过期，请尽快更新。",
                                "The revocation list has expired; update it soon."),
}


def message(code: str, lang: str = "en") -> str:
    """The message for a reason or warning code in ``lang`` (``en`` or ``zh``)."""
    zh, en = MESSAGES.get(code, (code, code))
    return zh if lang == "zh" else en


class Refusal(Exception):
    """Raised by a verification check; the pipeline turns it into a refused verdict.

    Args:
        reason: a :class:`Reason`.
        detail: a technical English detail for logs and debugging (not shown to guards).
    """

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason
        self.detail = detail
