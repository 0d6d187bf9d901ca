"""Signed trust lists: which public keys may sign Tongguan codes, when, and for which kinds.

A verifier loads a list once (checking its signature against the list signer's public
key) and keeps the parsed :class:`TrustList`; every key is parsed once and indexed by kid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from codes.algs import ALG_IDS, ALG_NAMES
from codes.errors import SignedListError, SigningKeyError
from codes.keys import KINDS, SigningKey, TrustedKey
from codes.signed_list import b64, iso, open_document, parse_iso, sign_document, unb64

TRUST_LIST_TYPE = "tongguan-trust-list"
#: Default lifetime written into a new list (``expires_at - issued_at``).
TRUST_LIST_LIFETIME = timedelta(hours=72)


@dataclass(frozen=True)
class TrustList:
    """A verified (or freshly built) trust list."""

    issuer: str
    issued_at: datetime
    expires_at: datetime
    keys: tuple[TrustedKey, ...]
    _by_kid: dict[bytes, tuple[TrustedKey, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        index: dict[bytes, list[TrustedKey]] = {}
        for key in self.keys:
            index.setdefault(key.kid, []).append(key)
        self._by_kid.update({kid: tuple(keys) for kid, keys in index.items()})

    def candidates(self, kid: bytes) -> tuple[TrustedKey, ...]:
        """Every key with this kid (kids are short, so two keys may share one)."""
        return self._by_kid.get(kid, ())

    def to_payload(self) -> dict:
        return {
            "type": TRUST_LIST_TYPE, "version": 1, "issuer": self.issuer,
            "issued_at": iso(self.issued_at), "expires_at": iso(self.expires_at),
            "keys": [{
                "kid": b64(k.kid), "alg": ALG_NAMES[k.alg], "spki": b64(k.spki),
                "valid_from": iso(k.valid_from),
                "valid_until": iso(k.valid_until) if k.valid_until else None,
                "kinds": sorted(k.kinds),
            } for k in self.keys],
        }


def build_trust_list(keys: Iterable[TrustedKey], *, issued_at: datetime,
                     lifetime: timedelta = TRUST_LIST_LIFETIME, issuer: str = "TG") -> TrustList:
    """A trust list of ``keys`` issued at ``issued_at``, expiring ``lifetime`` later."""
    return TrustList(issuer=issuer, issued_at=issued_at, expires_at=issued_at + lifetime,
                     keys=tuple(keys))


def sign_trust_list(trust_list: TrustList, signer: SigningKey) -> str:
    """The signed JSON text of a trust list."""
    return sign_document(trust_list.to_payload(), signer)


def load_trust_list(text: str | bytes, *, signer_public_key: bytes | TrustedKey) -> TrustList:
    """Verify and parse a signed trust list.

    Args:
        text: the JSON file content.
        signer_public_key: the list signer's public key (PEM or DER SPKI), distributed
            to checkpoints out of band.

    Raises:
        SignedListError: bad signature, wrong type, malformed entry.
    """
    payload = open_document(text, TRUST_LIST_TYPE, signer_public_key)
    entries = payload.get("keys")
    if not isinstance(entries, list):
        raise SignedListError("trust list has no 'keys' array")
    keys = tuple(_entry(i, e) for i, e in enumerate(entries))
    return TrustList(issuer=str(payload.get("issuer", "")),
                     issued_at=parse_iso(payload.get("issued_at"), "issued_at"),
                     expires_at=parse_iso(payload.get("expires_at"), "expires_at"),
                     keys=keys)


def _entry(index: int, entry: object) -> TrustedKey:
    where = f"keys[{index}]"
    if not isinstance(entry, dict):
        raise SignedListError(f"{where} is not an object")
    kinds = entry.get("kinds", list(KINDS))
    if not isinstance(kinds, list) or not all(k in KINDS for k in kinds):
        raise SignedListError(f"{where}.kinds must be a list of {', '.join(KINDS)}")
    until = entry.get("valid_until")
    try:
        key = TrustedKey.from_spki(
            unb64(entry.get("spki"), f"{where}.spki"),
            valid_from=parse_iso(entry.get("valid_from"), f"{where}.valid_from"),
            valid_until=None if until is None else parse_iso(until, f"{where}.valid_until"),
            kinds=tuple(kinds), kid=unb64(entry.get("kid"), f"{where}.kid"))
    except SigningKeyError as err:
        raise SignedListError(f"{where}: {err}") from err
    alg = entry.get("alg")
    if not isinstance(alg, str) or ALG_IDS.get(alg) != key.alg:
        raise SignedListError(f"{where}.alg does not match the key type")
    return key
