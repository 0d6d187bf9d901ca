"""EU Digital COVID Certificate (``HC1:``) support: signer certificates and hcert claims.

The verifier accepts DCC codes given the signer's X.509 certificate (DSC) as the trust
anchor. The kid is SHA-256(certificate DER)[:8] as in the DCC specification; the
certificate's extended key usage limits which certificate types (t/v/r) it may sign.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from codes.algs import DCC_ALLOWED
from codes.claims import MAX_EPOCH, Claim, ClaimsProblem, from_epoch
from codes.errors import SigningKeyError
from codes.keys import KID_LENGTH, SignatureCheck, alg_for, signature_check
from codes.reasons import Reason, Refusal

HCERT_TYPES = ("v", "t", "r")
_TYPE_NAMES = {"v": "vaccination", "t": "test", "r": "recovery"}
#: DCC extended key usage OIDs → hcert type they allow. The ``1.3.6.1.4.1.0.1847...`` forms
#: are a variant that circulated in early specs; national verifier apps accept both. The
#: ``0.4.0.127.0.7.3.1.1.x`` (BSI arc) forms follow our issue and use the same last arc.
DCC_EKU: dict[str, str] = {}
for _arc in ("1.3.6.1.4.1.1847.2021.1", "1.3.6.1.4.1.0.1847.2021.1", "0.4.0.127.0.7.3.1.1"):
    DCC_EKU.update({f"{_arc}.1": "t", f"{_arc}.2": "v", f"{_arc}.3": "r"})


@dataclass(frozen=True)
class DccSigner:
    """A DSC parsed once: its key, kid, validity (epoch seconds) and allowed types."""

    kid: bytes
    alg: int
    not_before: int
    not_after: int
    types: frozenset[str]
    subject: str
    check: SignatureCheck = field(repr=False, compare=False)

    def verify(self, message: bytes, signature: bytes) -> bool:
        return self.check(message, signature)

    @classmethod
    def from_certificate(cls, data: bytes) -> DccSigner:
        """Parse a DER or PEM X.509 signer certificate.

        Raises:
            SigningKeyError: not a certificate, or its key is not ES256/PS256-capable.
        """
        try:
            cert = (x509.load_pem_x509_certificate(data) if data.lstrip().startswith(b"-----")
                    else x509.load_der_x509_certificate(data))
        except ValueError as err:
            raise SigningKeyError("not an X.509 certificate (DER or PEM)") from err
        der = cert.public_bytes(Encoding.DER)
        alg = alg_for(cert.public_key())
        if alg not in DCC_ALLOWED:
            raise SigningKeyError("DCC signer certificates must hold a P-256 or RSA key")
        kid = hashlib.sha256(der).digest()[:KID_LENGTH]
        return cls(kid=kid, alg=alg,
                   not_before=int(cert.not_valid_before_utc.timestamp()),
                   not_after=int(cert.not_valid_after_utc.timestamp()),
                   types=_allowed_types(cert), subject=cert.subject.rfc4514_string(),
                   check=signature_check(cert.public_key(), alg))


def _allowed_types(cert: x509.Certificate) -> frozenset[str]:
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return frozenset(HCERT_TYPES)
    types = {DCC_EKU[oid.dotted_string] for oid in eku if oid.dotted_string in DCC_EKU}
    return frozenset(types) if types else frozenset(HCERT_TYPES)


class DccTrust:
    """Signer certificates indexed by kid."""

    def __init__(self, signers: tuple[DccSigner, ...]) -> None:
        self.signers = signers
        self._by_kid: dict[bytes, tuple[DccSigner, ...]] = {}
        for s in signers:
            self._by_kid[s.kid] = (*self._by_kid.get(s.kid, ()), s)

    def candidates(self, kid: bytes) -> tuple[DccSigner, ...]:
        return self._by_kid.get(kid, ())


@lru_cache(maxsize=32)
def dcc_trust(certs: tuple[bytes, ...]) -> DccTrust:
    """Parse certificates once per distinct set (the verifier is called per scan)."""
    return DccTrust(tuple(DccSigner.from_certificate(c) for c in certs))


@dataclass(frozen=True)
class DccClaims:
    """The CWT claims of a DCC: issuer country, times, and the hcert (v1) content."""

    issuer: str
    issued_at: int
    expires_at: int
    hcert: dict
    cert_type: str

    @classmethod
    def from_cbor_map(cls, data: Any) -> DccClaims:
        """Read claims ``{1: iss, 4: exp, 6: iat, -260: {1: hcert}}``.

        Raises:
            ClaimsProblem: missing times, no hcert, or not exactly one of v/t/r.
        """
        if not isinstance(data, dict):
            raise ClaimsProblem("claims are not a CBOR map")
        iat, exp = data.get(Claim.IAT), data.get(Claim.EXP)
        # A missing claim is None: refused here like any other non-integer (BAD_CLAIMS).
        if (iat is None or exp is None or not isinstance(iat, int) or isinstance(iat, bool)
                or not isinstance(exp, int) or isinstance(exp, bool)):
            raise ClaimsProblem("claims iat and exp must be integers")
        if not (0 <= iat < MAX_EPOCH and 0 <= exp < MAX_EPOCH):
            raise ClaimsProblem("iat/exp outside the years 1970-9999")
        container = data.get(Claim.HCERT)
        hcert = container.get(1) if isinstance(container, dict) else None
        if not isinstance(hcert, dict):
            raise ClaimsProblem("hcert claim (-260) with key 1 is missing")
        present = [t for t in HCERT_TYPES if hcert.get(t)]
        if len(present) != 1 or not isinstance(hcert[present[0]], list):
            raise ClaimsProblem("hcert must hold exactly one of v, t, r")
        issuer = data.get(Claim.ISS, "")
        return cls(issuer=issuer if isinstance(issuer, str) else "", issued_at=iat,
                   expires_at=exp, hcert=hcert, cert_type=present[0])

    def as_dict(self) -> dict[str, Any]:
        return {"iss": self.issuer, "iat": from_epoch(self.issued_at).isoformat(),
                "exp": from_epoch(self.expires_at).isoformat(),
                "type": _TYPE_NAMES[self.cert_type], "hcert": _jsonable(self.hcert)}


# -- verifier checks for HC1 codes (the verifier's ``Scan`` carries claims and signer) ---
def check_certificate_window(v: Any, s: Any) -> None:
    signer = s.key
    if s.claims.issued_at < signer.not_before:
        raise Refusal(Reason.KEY_NOT_VALID, "signed before the certificate was valid")
    if s.claims.expires_at > signer.not_after:
        raise Refusal(Reason.KEY_NOT_VALID, "code expires after its signer certificate")


def check_certificate_type(v: Any, s: Any) -> None:
    if s.claims.cert_type not in s.key.types:
        raise Refusal(Reason.KIND_NOT_ALLOWED,
                      f"certificate's key usage does not allow type {s.claims.cert_type!r}")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)

