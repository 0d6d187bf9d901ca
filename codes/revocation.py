"""Signed revocation lists: truncated SHA-256 of each revoked code id.

Only a hash prefix is published, so the list does not enumerate code ids; 16 bytes make
an accidental collision negligible.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from codes.errors import SignedListError
from codes.keys import SigningKey, TrustedKey
from codes.signed_list import b64, iso, open_document, parse_iso, sign_document, unb64

REVOCATION_LIST_TYPE = "tongguan-revocation-list"
REVOCATION_HASH_BYTES = 16
REVOCATION_LIST_LIFETIME = timedelta(hours=24)


def revocation_hash(code_id: bytes) -> bytes:
    """The published form of a revoked code id: SHA-256(cti)[:16]."""
    return hashlib.sha256(code_id).digest()[:REVOCATION_HASH_BYTES]


@dataclass(frozen=True)
class RevocationList:
    """A verified (or freshly built) revocation list."""

    issued_at: datetime
    expires_at: datetime
    hashes: frozenset[bytes]

    def is_revoked(self, code_id: bytes) -> bool:
        return revocation_hash(code_id) in self.hashes

    def to_payload(self) -> dict:
        return {"type": REVOCATION_LIST_TYPE, "version": 1,
                "issued_at": iso(self.issued_at), "expires_at": iso(self.expires_at),
                "revoked": sorted(b64(h) for h in self.hashes)}


def build_revocation_list(code_ids: Iterable[bytes], *, issued_at: datetime,
                          lifetime: timedelta = REVOCATION_LIST_LIFETIME) -> RevocationList:
    """A revocation list of ``code_ids`` (the raw ``cti`` values)."""
    return RevocationList(issued_at=issued_at, expires_at=issued_at + lifetime,
                          hashes=frozenset(revocation_hash(c) for c in code_ids))


def sign_revocation_list(revocations: RevocationList, signer: SigningKey) -> str:
    """The signed JSON text of a revocation list."""
    return sign_document(revocations.to_payload(), signer)


def load_revocation_list(text: str | bytes, *,
                         signer_public_key: bytes | TrustedKey) -> RevocationList:
    """Verify and parse a signed revocation list.

    Raises:
        SignedListError: bad signature, wrong type, malformed entry.
    """
    payload = open_document(text, REVOCATION_LIST_TYPE, signer_public_key)
    revoked = payload.get("revoked")
    if not isinstance(revoked, list):
        raise SignedListError("revocation list has no 'revoked' array")
    hashes = frozenset(unb64(h, f"revoked[{i}]") for i, h in enumerate(revoked))
    if any(len(h) != REVOCATION_HASH_BYTES for h in hashes):
        raise SignedListError(f"revoked entries must be {REVOCATION_HASH_BYTES}-byte hashes")
    return RevocationList(issued_at=parse_iso(payload.get("issued_at"), "issued_at"),
                          expires_at=parse_iso(payload.get("expires_at"), "expires_at"),
                          hashes=hashes)
