"""Signed JSON documents (trust lists, revocation lists): one shared wire format.

A file is ``{"payload": {...}, "signature": {"alg", "kid", "value"}}``. The signature is a
detached ES256/EdDSA signature (raw r||s, base64) over the canonical JSON of ``payload``.
We chose JSON with a detached signature over a COSE_Sign1 so an operator can read a list
with any text tool; the payload's ``type`` is signed, so a revocation list can never be
passed off as a trust list.

Canonical JSON is written by hand (``json.dumps`` with sorted keys, no whitespace, UTF-8):
for our payloads (ASCII keys, strings, integers, lists, no floats) this is exactly
RFC 8785 JCS, and no maintained JCS package is installed.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from codes.algs import ALG_IDS, ALG_NAMES, TG_ALLOWED
from codes.errors import SignedListError, SigningKeyError
from codes.keys import SigningKey, TrustedKey

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise SignedListError(f"{what} must be a base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as err:
        raise SignedListError(f"{what} is not valid base64") from err


def iso(when: datetime) -> str:
    """``2024-01-02T03:04:05Z`` (UTC, whole seconds)."""
    return when.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: Any, what: str) -> datetime:
    if not isinstance(text, str):
        raise SignedListError(f"{what} must be an ISO 8601 time string")
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as err:
        raise SignedListError(f"{what} is not an ISO 8601 time: {text!r}") from err
    if when.tzinfo is None:
        raise SignedListError(f"{what} must carry a timezone (use Z for UTC)")
    return when


def canonical_json(payload: Any) -> bytes:
    """RFC 8785-compatible bytes for payloads without floats."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def sign_document(payload: dict[str, Any], signer: SigningKey) -> str:
    """The signed JSON text of ``payload`` (pretty-printed for people; order does not matter)."""
    signature = signer.sign(canonical_json(payload))
    doc = {"payload": payload,
           "signature": {"alg": signer.alg_name, "kid": b64(signer.kid), "value": b64(signature)}}
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def signer_key(public_key: bytes | TrustedKey) -> TrustedKey:
    """A verification key for signed lists from PEM/DER SPKI bytes (or an existing one)."""
    if isinstance(public_key, TrustedKey):
        return public_key
    try:
        return TrustedKey.from_spki(public_key, valid_from=_EPOCH)
    except SigningKeyError as err:
        raise SignedListError(f"list signer key: {err}") from err


def open_document(text: str | bytes, expected_type: str,
                  public_key: bytes | TrustedKey) -> dict[str, Any]:
    """Check a signed document and return its payload.

    Raises:
        SignedListError: not JSON, wrong shape or type, unknown alg or kid, bad signature.
    """
    try:
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError) as err:
        raise SignedListError(f"not a JSON document: {err}") from err
    if not isinstance(doc, dict) or not isinstance(doc.get("payload"), dict) \
            or not isinstance(doc.get("signature"), dict):
        raise SignedListError("expected an object with 'payload' and 'signature'")
    payload, sig = doc["payload"], doc["signature"]
    key = signer_key(public_key)
    alg = ALG_IDS.get(sig.get("alg"))
    if alg not in TG_ALLOWED or alg != key.alg:
        raise SignedListError(f"signature algorithm {sig.get('alg')!r} is not allowed here "
                              f"(the list signer uses {ALG_NAMES[key.alg]})")
    if not hmac.compare_digest(unb64(sig.get("kid"), "signature kid"), key.kid):
        raise SignedListError("signed by a different key than the configured list signer")
    if not key.verify(canonical_json(payload), unb64(sig.get("value"), "signature")):
        raise SignedListError("signature does not verify: the list was altered")
    if payload.get("type") != expected_type:
        raise SignedListError(f"expected a {expected_type}, got {payload.get('type')!r}")
    return payload
