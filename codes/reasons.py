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


class Notice(StrEnum):
    """Advisory codes on a verdict; the verdict keeps its validity."""

    TRUST_LIST_OLD = "trust_list_old"
    REVOCATION_LIST_EXPIRED = "revocation_list_expired"


MESSAGES: dict[str, tuple[str, str]] = {
    "ok": ("Valid code.", "有效码。"),
    "bad_prefix": ("Not a health code (unknown prefix).", "不是健康码（前缀无法识别）。"),
    "too_large": ("The code is too large to be a health code.", "码内容过大，不是健康码。"),
    "bad_base45": ("The code is damaged (bad characters).", "码已损坏（字符无效）。"),
    "bad_compression": ("The code is damaged (bad compression).", "码已损坏（压缩数据无效）。"),
    "bad_cose": ("The code is damaged (bad signature envelope).", "码已损坏（签名结构无效）。"),
    "bad_algorithm": ("The code uses a signature algorithm that is not allowed.",
                      "该码使用了不允许的签名算法。"),
    "trust_list_stale": ("The trust list on this device is too old; update it before checking.",
                         "本设备的信任列表已过期，请更新后再核验。"),
    "unknown_kid": ("The code was signed by an unknown key.", "该码由未知密钥签发。"),
    "bad_signature": ("The signature is not valid: the code may be forged or altered.",
                      "签名无效：该码可能被伪造或篡改。"),
    "bad_claims": ("The code content is incomplete or malformed.", "码内容不完整或格式错误。"),
    "expired": ("The code has expired.", "该码已过期。"),
    "not_yet_valid": ("The code is not valid yet (check the device clock).",
                      "该码尚未生效（请检查设备时间）。"),
    "key_not_valid": ("The signing key was not valid when this code was issued.",
                      "签发该码时签名密钥不在有效期内。"),
    "kind_not_allowed": ("The signing key may not issue this kind of code.",
                         "该签名密钥无权签发此类码。"),
    "revoked": ("The code has been revoked.", "该码已被撤销。"),
    "no_qr": ("No QR code was found in the image.", "图片中未找到二维码。"),
    "trust_list_old": ("The trust list is more than a day old; update it soon.",
                       "信任列表已超过一天未更新，请尽快更新。"),
    "revocation_list_expired": ("The revocation list has expired; update it soon.",
                                "撤销列表已过期，请尽快更新。"),
}


def message(code: str, lang: str = "en") -> str:
    """The message for a reason or warning code in ``lang`` (``en`` or ``zh``)."""
    en, zh = MESSAGES.get(code, (code, code))
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
