"""The result of verifying a code: valid or not, a stable reason, messages, claims."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from codes.reasons import MESSAGES, Reason


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a checkpoint shows after a scan."""

    valid: bool
    reason: str  #: stable machine code (:class:`~codes.reasons.Reason`), ``ok`` when valid
    message: str  #: English, for the guard
    message_zh: str  #: Chinese, for the guard
    claims: dict[str, Any] = field(default_factory=dict)  #: empty unless the signature held
    warnings: tuple[str, ...] = ()  #: advisory codes (``trust_list_old``...)
    format: str = ""  #: ``TG1`` or ``HC1`` once the prefix was read
    kid: str = ""  #: hex kid of the signing key, once known
    alg: str = ""  #: ``ES256``, ``EdDSA``, ``PS256`` once read
    detail: str = ""  #: technical detail for logs (English, not for guards)
    checks: tuple[str, ...] = ()  #: names of the checks that passed, in order

    def message_in(self, lang: str) -> str:
        """The message in ``zh`` or ``en``."""
        return self.message_zh if lang == "zh" else self.message

    def warning_messages(self, lang: str = "en") -> list[str]:
        idx = 0 if lang == "zh" else 1
        return [MESSAGES.get(w, (w, w))[idx] for w in self.warnings]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (the CLI and the checkpoint page print this)."""
        return {
            "valid": self.valid, "reason": self.reason, "message": self.message,
            "message_zh": self.message_zh, "claims": self.claims,
            "warnings": list(self.warnings), "format": self.format, "kid": self.kid,
            "alg": self.alg, "detail": self.detail, "checks": list(self.checks),
        }


_OK_ZH, _OK_EN = MESSAGES[Reason.OK]
_NEW = object.__new__
(_VALID, _REASON, _MESSAGE, _MESSAGE_ZH, _CLAIMS, _WARNINGS, _FORMAT, _KID, _ALG, _DETAIL,
 _CHECKS) = (getattr(Verdict, name).__set__ for name in Verdict.__slots__)


def valid_verdict(claims: dict[str, Any], warnings: tuple[str, ...], format: str, kid: str,
                  alg: str, checks: tuple[str, ...]) -> Verdict:
    """``Verdict(True, "ok", ..., detail="")`` for the verifier's hot path: the slots are set
    directly, at half the cost of the frozen dataclass ``__init__`` (same object, tested)."""
    verdict = _NEW(Verdict)
    _VALID(verdict, True)
    _REASON(verdict, "ok")
    _MESSAGE(verdict, _OK_EN)
    _MESSAGE_ZH(verdict, _OK_ZH)
    _CLAIMS(verdict, claims)
    _WARNINGS(verdict, warnings)
    _FORMAT(verdict, format)
    _KID(verdict, kid)
    _ALG(verdict, alg)
    _DETAIL(verdict, "")
    _CHECKS(verdict, checks)
    return verdict


def refused(reason: Reason, detail: str = "", **kw: Any) -> Verdict:
    """A refused verdict for ``reason``."""
    zh, en = MESSAGES[reason]
    return Verdict(valid=False, reason=str(reason), message=en, message_zh=zh,
                   detail=detail, **kw)
