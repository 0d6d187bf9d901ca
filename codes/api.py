"""The one-call entry points: ``issue_code``, ``verify_code``, ``verify_image``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from codes import envelope
from codes.claims import ClaimsProblem, CodeClaims, Color, Kind, new_code_id, to_epoch
from codes.errors import IssueError, QRError
from codes.keys import SigningKey, TrustedKey
from codes.qr import decode_image
from codes.reasons import Reason
from codes.revocation import RevocationList
from codes.trustlist import TrustList
from codes.verdict import Verdict, refused
from codes.verify import Policy, Verifier

#: Library defaults; the server's live and paper lifetimes are settings
#: (``codes.live_seconds``, ``codes.paper_hours``).
LIVE_TTL = timedelta(minutes=3)
PAPER_TTL = timedelta(hours=24)
MAX_TTL = timedelta(days=7)
DEFAULT_TTL = {Kind.LIVE: LIVE_TTL, Kind.PAPER: PAPER_TTL}


def _utcnow() -> datetime:
    return datetime.now(UTC)


def issue_code(*, key: SigningKey, subject: str, color: Color | str, masked_name: str,
               kind: Kind | str = Kind.LIVE, ttl: timedelta | None = None,
               rules_version: str = "1", issuer: str = "TG", at: datetime | None = None,
               code_id: bytes | None = None, proxy: bool = False) -> str:
    """Sign a health code and return its ``TG1:`` text (ready for a QR symbol).

    Args:
        key: the active signing key (``KeyStore.active_signer()``).
        subject: a pseudonymous subject id (never an ID number; refused if it looks like one).
        color: ``green``, ``yellow`` or ``red``.
        masked_name: e.g. ``张*明`` (see :func:`codes.mask_name`).
        kind: ``live`` (refreshing page, default TTL 3 min) or ``paper`` (24 h).
        ttl: lifetime, at most 7 days.
        at: issue time (default: now); aware datetime.
        code_id: the ``cti`` (8 random bytes by default); keep it to revoke the code.
        proxy: the code was declared by proxy (代报) — by someone for this person. Written
            as ``"p": true`` in the private claim only when true, so other codes keep
            their exact bytes.

    Raises:
        IssueError: a bad argument.
    """
    try:
        color, kind = Color(color), Kind(kind)
    except ValueError as err:
        raise IssueError(f"{err}; colour is green/yellow/red, kind is live/paper") from err
    ttl = DEFAULT_TTL[kind] if ttl is None else ttl
    if not timedelta(0) < ttl <= MAX_TTL:
        raise IssueError(f"ttl must be between 1 second and {MAX_TTL.days} days")
    at = _utcnow() if at is None else at
    if at.tzinfo is None:
        raise IssueError("'at' must be a timezone-aware datetime")
    code_id = new_code_id() if code_id is None else code_id
    if not isinstance(code_id, bytes) or not 1 <= len(code_id) <= 32:
        raise IssueError("code_id must be 1-32 bytes")
    issued = to_epoch(at)
    claims = CodeClaims(issuer=issuer, subject=subject, issued_at=issued,
                        expires_at=issued + int(ttl.total_seconds()), code_id=code_id,
                        color=color, kind=kind, masked_name=masked_name,
                        rules_version=rules_version, proxy=proxy)
    try:
        claims.validate()
    except ClaimsProblem as err:
        raise IssueError(str(err)) from err
    return envelope.seal(claims.to_cbor_map(), key)


def verify_code(text: str, *, trusted_certs: list[bytes] | None = None,
                trust_list: TrustList | Iterable[TrustedKey] | None = None,
                at: datetime | None = None, revocations: RevocationList | None = None,
                policy: Policy = Policy()) -> Verdict:
    """Verify a ``TG1:`` or ``HC1:`` code and say why it is or is not valid.

    For many scans, build one :class:`~codes.verify.Verifier` and call its ``verify``;
    this wrapper is cheap too: it reuses the verifier built for the same (identical)
    trust list, revocation list, certificates and policy objects.

    Args:
        text: the scanned code text.
        trusted_certs: DCC signer certificates, DER (or PEM), for ``HC1:`` codes.
        trust_list: the verified trust list (or trusted keys) for ``TG1:`` codes.
        at: the verification time (default: now).
        revocations: the verified revocation list.
        policy: leeway and trust-list age limits.

    Raises:
        SigningKeyError: a certificate in ``trusted_certs`` cannot be read (a caller error;
            a bad *code* never raises, it gets a refused :class:`Verdict`).
    """
    verifier = _verifier(trust_list, trusted_certs, revocations, policy)
    return verifier.verify(text, at=_utcnow() if at is None else at)


def verify_notice(text: str, *, trust_list: TrustList | Iterable[TrustedKey] | None = None,
                  at: datetime | None = None, revocations: RevocationList | None = None,
                  policy: Policy = Policy()) -> Verdict:
    """Verify a ``TGN1:`` resumption notice (:mod:`codes.notice`) against the same trust
    and revocation lists as health codes; a health code gets ``not_a_notice``.

    Arguments as for :func:`verify_code`. A bad notice never raises.
    """
    verifier = _verifier(trust_list, None, revocations, policy)
    return verifier.verify_notice(text, at=_utcnow() if at is None else at)


#: Verifiers by the identity of the trust material they were built from. A checkpoint
#: calls ``verify_code`` with the same parsed lists scan after scan; the entry holds those
#: objects, so their ids cannot be reused while it is cached. Only frozen objects are
#: cached (a list of keys might be changed in place, so it gets a new Verifier each call).
_VERIFIERS: dict[tuple, tuple[Verifier, tuple]] = {}
_MAX_VERIFIERS = 16
#: The last (trust list, revocations, policy, certs, verifier) returned from the cache; it
#: holds its objects too, so their ids stay theirs.
_LAST: list[tuple] = [(object(), None, None, (), None)]
_CACHEABLE_TRUST = (TrustList, type(None))
_CACHEABLE_REVOCATIONS = (RevocationList, type(None))


def _verifier(trust_list: Any, trusted_certs: Any, revocations: Any,
              policy: Policy) -> Verifier:
    last = _LAST[0]  # one scan after another with the same objects: skip the key tuple
    # (only cacheable objects are ever stored there)
    if (last[0] is trust_list and last[1] is revocations and last[2] is policy
            and not trusted_certs and not last[3]):
        return last[4]
    if not (isinstance(trust_list, _CACHEABLE_TRUST)
            and isinstance(revocations, _CACHEABLE_REVOCATIONS)):
        return Verifier(trust_list=trust_list, trusted_certs=trusted_certs,
                        revocations=revocations, policy=policy)
    certs = tuple(trusted_certs or ())  # bytes: hashed and compared by value
    key = (id(trust_list), id(revocations), id(policy), certs)
    hit = _VERIFIERS.get(key)
    if hit is None:
        hit = (Verifier(trust_list=trust_list, trusted_certs=certs, revocations=revocations,
                        policy=policy), (trust_list, revocations, policy))
        if len(_VERIFIERS) >= _MAX_VERIFIERS:
            _VERIFIERS.clear()
        _VERIFIERS[key] = hit
    _LAST[0] = (trust_list, revocations, policy, certs, hit[0])
    return hit[0]


def verify_image(source: Any, **kwargs: Any) -> Verdict:
    """Find a QR code in a photo or screenshot and verify it (``no_qr`` if there is none).

    Takes the same keyword arguments as :func:`verify_code`. With several QR codes in the
    picture, the first one that verifies wins; otherwise the first one's verdict is kept.

    Raises:
        QRError: the bytes are not an image at all (``bad_image``).
    """
    try:
        texts = decode_image(source)
    except QRError as err:
        if err.reason != "no_qr":
            raise
        return refused(Reason.NO_QR, str(err))
    verdicts = [verify_code(text, **kwargs) for text in texts]
    return next((v for v in verdicts if v.valid), verdicts[0])
