"""The verification pipeline: named checks in order, each refusing with a stable reason.

``TG1:`` codes are checked against a trust list (and an optional revocation list);
``HC1:`` codes against DCC signer certificates. Keys, lists and certificates are parsed
once, outside the per-scan path, so a scan costs little more than the signature itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from codes import dcc, envelope
from codes.algs import DCC_ALLOWED, TG_ALLOWED, alg_name
from codes.claims import ClaimsProblem, CodeClaims
from codes.dcc import DccClaims, DccTrust, dcc_trust
from codes.keys import TrustedKey
from codes.notice import NOTICE_CLAIM, NOTICE_KIND, NoticeClaims
from codes.policy import Policy, trust_list_limits
from codes.quick_verify import fast_verify, key_index
from codes.reasons import MESSAGES, Notice, Reason, Refusal
from codes.revocation import RevocationList
from codes.trustlist import TrustList
from codes.verdict import Verdict


@dataclass(slots=True)
class Scan:
    """State carried from check to check for one code."""

    text: str
    at: datetime
    now: int
    prefix: str = ""
    body: str = ""
    data: bytes = b""
    sign1: Any = None
    candidates: tuple = ()
    key: Any = None
    claims: Any = None
    warnings: list[str] = field(default_factory=list)
    accept: Any = None  #: the :class:`Accept` of the call (formats taken, wrong-type reason)


Check = Callable[["Verifier", Scan], None]


class Verifier:
    """Verifies codes against fixed trust material; reuse one instance for many scans.

    Args:
        trust_list: a verified :class:`TrustList`, or plain :class:`TrustedKey` objects
            (no freshness check then).
        trusted_certs: DCC signer certificates (DER or PEM) for ``HC1:`` codes.
        revocations: a verified :class:`RevocationList` for ``TG1:`` codes.
        policy: leeway and trust-list ages.
    """

    def __init__(self, *, trust_list: TrustList | Iterable[TrustedKey] | None = None,
                 trusted_certs: Iterable[bytes] | None = None,
                 revocations: RevocationList | None = None, policy: Policy = Policy()) -> None:
        if trust_list is not None and not isinstance(trust_list, TrustList):
            trust_list = TrustList(issuer="", issued_at=datetime.max.replace(tzinfo=UTC),
                                   expires_at=datetime.max.replace(tzinfo=UTC),
                                   keys=tuple(trust_list))
            self._check_freshness = False
        else:
            self._check_freshness = trust_list is not None
        self.trust_list = trust_list
        self.dcc: DccTrust = dcc_trust(tuple(trusted_certs or ()))
        self.revocations = revocations
        self.policy = policy
        self._fast_keys = key_index(trust_list)  # for codes/quick_verify.py
        self.fast_verdicts = 0  #: valid codes answered by the fast path (tests read it)
        # Per-scan limits, computed once (codes/policy.py).
        self._leeway = int(policy.leeway.total_seconds())
        if self._check_freshness:
            assert trust_list is not None  # _check_freshness is set only with a trust list
            self._stale_after, self._old_after = trust_list_limits(
                trust_list.issued_at, trust_list.expires_at, policy)

    def verify(self, text: str, *, at: datetime) -> Verdict:
        """Verify a health code (``TG1:``, ``HC1:``) at time ``at``; never raises for a bad
        code. A resumption notice is refused (``not_a_health_code``)."""
        verdict = fast_verify(self, text, at, _TG[0])  # a valid TG1 code, else None
        if verdict is not None:
            return verdict
        return self._run(text, at, _HEALTH)

    def verify_notice(self, text: str, *, at: datetime) -> Verdict:
        """Verify a resumption notice (``TGN1:``); a health code is refused
        (``not_a_notice``). Never raises for a bad notice."""
        return self._run(text, at, _NOTICES)

    def verify_any(self, text: str, *, at: datetime) -> Verdict:
        """A health code or a resumption notice, whichever the prefix says (the checkpoint
        and ``POST /api/v1/verify``): the verdict's ``format`` tells them apart."""
        if isinstance(text, str) and text.startswith(envelope.NOTICE_PREFIX):
            return self._run(text, at, _NOTICES)
        return self.verify(text, at=at)

    def _run(self, text: str, at: datetime, accept: Accept) -> Verdict:
        """Every check on ``text`` for the formats ``accept`` takes."""
        scan = Scan(text=text, at=at, now=int(at.timestamp()), accept=accept)
        # The index of the failing check gives the checks that passed (none are appended).
        names, step = _COMMON_NAMES, 0
        try:
            for step, check in enumerate(_COMMON_STEPS):  # noqa: B007 (read on refusal)
                check(self, scan)
            names, steps = accept.formats[scan.prefix]
            for step, check in enumerate(steps, len(_COMMON_STEPS)):  # noqa: B007
                check(self, scan)
        except Refusal as refusal:
            sign1 = scan.sign1
            zh, en = MESSAGES[refusal.reason]
            return Verdict(valid=False, reason=refusal.reason.value, message=en, message_zh=zh,
                           warnings=tuple(scan.warnings),
                           format=_FORMATS.get(scan.prefix, ""), kid=envelope.kid_hex(sign1),
                           alg="" if sign1 is None else alg_name(sign1.alg),
                           detail=refusal.detail, checks=names[:step])
        sign1 = scan.sign1  # the Verdict fields in order (positional: the hot path)
        ok_en, ok_zh = _OK_MESSAGES[scan.prefix]
        return Verdict(True, _OK, ok_en, ok_zh, scan.claims.as_dict(), tuple(scan.warnings),
                       _FORMATS[scan.prefix], envelope.kid_hex(sign1), alg_name(sign1.alg),
                       "", names)


_OK = Reason.OK.value
_OK_ZH, _OK_EN = MESSAGES[Reason.OK]
_FORMATS = {p: p.rstrip(":") for p in envelope.PREFIXES}
_OK_MESSAGES = {envelope.TG_PREFIX: (_OK_EN, _OK_ZH), envelope.DCC_PREFIX: (_OK_EN, _OK_ZH),
                envelope.NOTICE_PREFIX: MESSAGES["ok_notice"][::-1]}


# -- checks shared by both formats -------------------------------------------------------
def check_prefix(v: Verifier, s: Scan) -> None:
    s.prefix, s.body = envelope.split_prefix(s.text)
    if s.prefix not in s.accept.formats:
        raise Refusal(s.accept.wrong, f"{s.prefix} is not taken here")


def check_size(v: Verifier, s: Scan) -> None:
    envelope.check_size(s.text)


def check_base45(v: Verifier, s: Scan) -> None:
    s.data = envelope.unbase45(s.body)


def check_compression(v: Verifier, s: Scan) -> None:
    s.data = envelope.inflate(s.data)


def check_cose(v: Verifier, s: Scan) -> None:
    s.sign1 = envelope.parse_sign1(s.data)


def _algorithm(allowed: frozenset[int]) -> Check:
    def check_algorithm(v: Verifier, s: Scan) -> None:
        alg = s.sign1.alg
        if alg is None:
            detail = ("alg must be in the protected header" if 1 in s.sign1.unprotected
                      else "no alg header")
            raise Refusal(Reason.BAD_ALGORITHM, detail)
        if alg not in allowed or isinstance(alg, bool):
            raise Refusal(Reason.BAD_ALGORITHM, f"{alg_name(alg)} is not allowed")
    return check_algorithm


def check_signature(v: Verifier, s: Scan) -> None:
    sign1 = s.sign1
    message, alg, signature = sign1.to_be_signed(), sign1.alg, sign1.signature
    for key in s.candidates:
        if key.alg == alg and key.verify(message, signature):
            s.key = key
            return
    raise Refusal(Reason.BAD_SIGNATURE, f"no key with this kid ({len(s.candidates)}) verifies")


def check_time(v: Verifier, s: Scan) -> None:
    leeway = v._leeway
    if s.now > s.claims.expires_at + leeway:
        raise Refusal(Reason.EXPIRED, f"expired {s.now - s.claims.expires_at} s ago")
    if s.claims.issued_at > s.now + leeway:
        raise Refusal(Reason.NOT_YET_VALID, f"issued {s.claims.issued_at - s.now} s ahead")


def _lookup(candidates: Callable[[Verifier, bytes], tuple]) -> Check:
    def check_kid(v: Verifier, s: Scan) -> None:
        kid = s.sign1.kid
        if not isinstance(kid, bytes) or not kid:
            raise Refusal(Reason.UNKNOWN_KID, "no kid in the COSE headers")
        s.candidates = candidates(v, kid)
        if not s.candidates:
            raise Refusal(Reason.UNKNOWN_KID, f"kid {kid.hex()} is not trusted")
    return check_kid


def _claims(parse: Callable[[Any], Any]) -> Check:
    def check_claims(v: Verifier, s: Scan) -> None:
        data = envelope.cbor_load(s.sign1.payload, Reason.BAD_CLAIMS, "claims")
        try:
            s.claims = parse(data)
        except ClaimsProblem as err:
            raise Refusal(Reason.BAD_CLAIMS, str(err)) from err
    return check_claims


# -- Tongguan (TG1) checks ---------------------------------------------------------------
def check_trust_list(v: Verifier, s: Scan) -> None:
    if not v._check_freshness:
        return
    if s.at > v._stale_after:
        assert v.trust_list is not None  # _check_freshness is set only with a trust list
        raise Refusal(Reason.TRUST_LIST_STALE,
                      f"trust list issued {v.trust_list.issued_at.isoformat()}")
    if s.at > v._old_after:
        s.warnings.append(Notice.TRUST_LIST_OLD.value)


def check_key_window(v: Verifier, s: Scan) -> None:
    key: TrustedKey = s.key
    issued = s.claims.issued_at
    if issued < key.valid_from_ts or (
            key.valid_until_ts is not None and issued > key.valid_until_ts):
        raise Refusal(Reason.KEY_NOT_VALID, "code issued outside the key's signing window")


def check_kind(v: Verifier, s: Scan) -> None:
    if s.claims.kind not in s.key.kinds:  # a StrEnum: hashes and compares as its value
        raise Refusal(Reason.KIND_NOT_ALLOWED, f"key may not sign {s.claims.kind.value} codes")


def health_claims(data: Any) -> CodeClaims:
    """A health code's claims; a notice's (-70001) are ``not_a_health_code``."""
    if isinstance(data, dict) and NOTICE_CLAIM in data:
        raise Refusal(Reason.NOT_A_HEALTH_CODE, "the claims are a resumption notice's (-70001)")
    return CodeClaims.from_cbor_map(data)


def check_notice_kind(v: Verifier, s: Scan) -> None:
    if NOTICE_KIND not in s.key.kinds:
        raise Refusal(Reason.KIND_NOT_ALLOWED,
                      f"key may not sign notices (needs the {NOTICE_KIND} kind)")


def check_revocation(v: Verifier, s: Scan) -> None:
    revocations = v.revocations
    if revocations is None:
        return
    if revocations.is_revoked(s.claims.code_id):
        raise Refusal(Reason.REVOKED, f"code id {s.claims.code_id.hex()} is revoked")
    if s.at > revocations.expires_at:
        s.warnings.append(Notice.REVOCATION_LIST_EXPIRED.value)


_COMMON: tuple[tuple[str, Check], ...] = (
    ("prefix", check_prefix), ("size", check_size), ("base45", check_base45),
    ("compression", check_compression), ("cose", check_cose),
)
_TG_CHECKS: tuple[tuple[str, Check], ...] = (
    ("algorithm", _algorithm(TG_ALLOWED)), ("trust_list", check_trust_list),
    ("kid", _lookup(lambda v, kid: v.trust_list.candidates(kid) if v.trust_list else ())),
    ("signature", check_signature), ("claims", _claims(health_claims)),
    ("time", check_time), ("key_window", check_key_window), ("kind", check_kind),
    ("revocation", check_revocation),
)
_NOTICE_CHECKS = tuple((name, {"claims": _claims(NoticeClaims.from_cbor_map),
                               "kind": check_notice_kind}.get(name, check))
                       for name, check in _TG_CHECKS)
_DCC_CHECKS: tuple[tuple[str, Check], ...] = (
    ("algorithm", _algorithm(DCC_ALLOWED)),
    ("kid", _lookup(lambda v, kid: v.dcc.candidates(kid))),
    ("signature", check_signature), ("claims", _claims(DccClaims.from_cbor_map)),
    ("time", check_time), ("key_window", dcc.check_certificate_window),
    ("kind", dcc.check_certificate_type),
)
_COMMON_NAMES = tuple(n for n, _ in _COMMON)
_COMMON_STEPS = tuple(c for _, c in _COMMON)
#: (all check names, format-specific checks) per format, for :meth:`Verifier.verify`.
_TG = (_COMMON_NAMES + tuple(n for n, _ in _TG_CHECKS), tuple(c for _, c in _TG_CHECKS))
_DCC = (_COMMON_NAMES + tuple(n for n, _ in _DCC_CHECKS), tuple(c for _, c in _DCC_CHECKS))
_TGN = (_COMMON_NAMES + tuple(n for n, _ in _NOTICE_CHECKS),
        tuple(c for _, c in _NOTICE_CHECKS))


@dataclass(frozen=True)
class Accept:
    """The formats one kind of call takes (prefix → checks), and the reason a code of
    another type is refused with."""

    formats: dict[str, tuple[tuple[str, ...], tuple[Check, ...]]]
    wrong: Reason


_HEALTH = Accept({envelope.TG_PREFIX: _TG, envelope.DCC_PREFIX: _DCC}, Reason.NOT_A_HEALTH_CODE)
_NOTICES = Accept({envelope.NOTICE_PREFIX: _TGN}, Reason.NOT_A_NOTICE)
#: Check names in order, per format (documented in docs/codes.md).
CHECKS = {"TG1": list(_TG[0]), "HC1": list(_DCC[0]), "TGN1": list(_TGN[0])}
