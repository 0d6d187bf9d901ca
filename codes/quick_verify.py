"""A straight-line verifier for the common case: a valid ``TG1:`` code.

:func:`fast_verify` does every check of the named pipeline (``codes/verify.py``) in one
function, for speed only: it never refuses. On any doubt — a check that would fail, a
type it does not expect, a header it has not seen, an exception — it returns ``None`` and
the caller runs the named pipeline, which finds the same answer and names the reason. So a
refusal reads exactly as before, and a valid code gets the very verdict the pipeline would
give (``tests/codes/test_fast_paths.py`` compares the two on valid and mutated codes).

What it does differently:

* the COSE_Sign1 array is read by hand — only the shape our issuer writes (optional tag
  18, array of 4: byte string, empty map, byte string, byte string, nothing after), so a
  nested or odd structure goes to the pipeline, whose CBOR decoder caps the depth;
* the protected header is decoded once per distinct header (with the depth cap) and kept
  with its kid and alg names;
* claims are decoded with the depth cap and read with exact-type checks straight into the
  verdict's claims dict, with no intermediate ``CodeClaims``.
"""

from __future__ import annotations

import io
import zlib
from datetime import datetime
from hashlib import sha256
from typing import TYPE_CHECKING, Any, Protocol

import cbor2

from codes.algs import TG_ALLOWED, alg_name
from codes.b45 import b45decode
from codes.claims import MAX_EPOCH, PROXY_KEY, TG_CLAIM, iso_utc
from codes.envelope import MAX_CBOR_DEPTH, MAX_INFLATED_BYTES, MAX_TEXT_CHARS, cbor_load
from codes.notice import NOTICE_CLAIM
from codes.reasons import Notice, Reason, Refusal
from codes.revocation import REVOCATION_HASH_BYTES
from codes.verdict import Verdict, valid_verdict

if TYPE_CHECKING:
    from codes.revocation import RevocationList
    from codes.trustlist import TrustList

_OLD = (Notice.TRUST_LIST_OLD.value,)
_REVOCATIONS_EXPIRED = (Notice.REVOCATION_LIST_EXPIRED.value,)
_COLORS = {"g": "green", "y": "yellow", "r": "red"}
_KINDS = {"l": "live", "p": "paper"}
_INFINITY = float("inf")
_SIG1_HEAD = b"\x84\x6aSignature1"  #: array(4), text(10) "Signature1"

class Verifier(Protocol):
    """What the quick path reads of a :class:`codes.verify.Verifier` (a protocol, so
    this module does not import the pipeline that imports it)."""

    revocations: RevocationList | None
    fast_verdicts: int
    _check_freshness: bool
    _stale_after: datetime
    _old_after: datetime
    _fast_keys: dict[bytes, tuple[FastKey, ...]]
    _leeway: int


#: One trusted key as the fast path reads it: (alg, check, valid_from_ts, valid_until_ts
#: (infinity when open), kinds).
FastKey = tuple[int, Any, float, float, frozenset]


def key_index(trust_list: TrustList | None) -> dict[bytes, tuple[FastKey, ...]]:
    """kid → the keys sharing it, in trust-list order (as ``TrustList.candidates``)."""
    index: dict[bytes, list[FastKey]] = {}
    for key in trust_list.keys if trust_list is not None else ():
        if key.check is not None:  # a key that cannot verify never passes the pipeline
            until = _INFINITY if key.valid_until_ts is None else key.valid_until_ts
            index.setdefault(key.kid, []).append(
                (key.alg, key.check, key.valid_from_ts, until, key.kinds))
    return {kid: tuple(keys) for kid, keys in index.items()}


#: Protected header bytes → (alg, kid, kid hex, alg name), for headers with an allowed
#: integer alg and a byte-string kid; ``None`` for any other header (the pipeline's).
_HEADERS: dict[bytes, tuple[int, bytes, str, str] | None] = {}
_HEADERS_MAX = 64


def _header(data: bytes) -> tuple[int, bytes, str, str] | None:
    try:
        return _HEADERS[data]
    except KeyError:
        pass
    try:
        header = cbor_load(data, Reason.BAD_COSE, "protected header")
    except Refusal:
        header = None
    entry = None
    if type(header) is dict:
        alg, kid = header.get(1), header.get(4)
        if type(alg) is int and alg in TG_ALLOWED and type(kid) is bytes and kid:
            entry = (alg, kid, kid.hex(), alg_name(alg))
    if len(_HEADERS) >= _HEADERS_MAX:
        _HEADERS.clear()
    _HEADERS[data] = entry
    return entry


def _bstr(data: bytes, pos: int) -> tuple[int, int]:
    """(start, end) of the byte string whose head is at ``pos``; end > len(data) if not."""
    head = data[pos]
    if 0x40 <= head <= 0x57:
        return pos + 1, pos + 1 + head - 0x40
    if head == 0x58:
        return pos + 2, pos + 2 + data[pos + 1]
    if head == 0x59:
        return pos + 3, pos + 3 + int.from_bytes(data[pos + 1:pos + 3], "big")
    return 0, len(data) + 1


def fast_verify(v: Verifier, text: Any, at: datetime, names: tuple[str, ...]) -> Verdict | None:
    """The verdict for a valid ``TG1:`` code, or ``None``: let the pipeline decide."""
    try:
        return _fast(v, text, at, names)
    except Exception:  # noqa: BLE001 (any doubt: the pipeline decides and names it)
        return None


def _fast(v: Verifier, text: Any, at: datetime, names: tuple[str, ...]) -> Verdict | None:
    if type(text) is not str or not text.startswith("TG1:") or len(text) > MAX_TEXT_CHARS:
        return None
    inflater = zlib.decompressobj()
    data = inflater.decompress(b45decode(text[4:].rstrip()), MAX_INFLATED_BYTES + 1)
    if (not inflater.eof or inflater.unused_data or inflater.unconsumed_tail
            or len(data) > MAX_INFLATED_BYTES):
        return None
    # COSE_Sign1: [protected bstr, {}, payload bstr, signature bstr], maybe tagged 18.
    pos = 2 if data[0] == 0xD2 else 1
    if data[pos - 1] != 0x84:
        return None
    start, end = _bstr(data, pos)
    if end >= len(data) or data[end] != 0xA0:  # unprotected header: the empty map only
        return None
    protected, signed_protected = data[start:end], data[pos:end]
    pos = end + 1
    start, end = _bstr(data, pos)
    if end >= len(data):
        return None
    payload, signed_payload = data[start:end], data[pos:end]
    start, end = _bstr(data, end)
    if end != len(data):
        return None
    signature = data[start:end]
    header = _header(protected)
    if header is None:
        return None
    alg, kid, kid_hex, alg_text = header
    warnings: tuple[str, ...] = ()
    if v._check_freshness:
        if at > v._stale_after:
            return None
        if at > v._old_after:
            warnings = _OLD
    candidates = v._fast_keys.get(kid)
    if not candidates:
        return None
    # The Sig_structure ["Signature1", protected, h'', payload] of Sign1.to_be_signed, with
    # the heads as they came (a non-shortest head fails here and the pipeline re-encodes).
    message = b"".join((_SIG1_HEAD, signed_protected, b"\x40", signed_payload))
    for key in candidates:
        if key[0] == alg and key[1](message, signature):
            break
    else:
        return None
    stream = io.BytesIO(payload)
    claims = cbor2.CBORDecoder(stream, max_depth=MAX_CBOR_DEPTH).decode()
    if type(claims) is not dict or stream.tell() != len(payload):
        return None
    tg = claims.get(TG_CLAIM)
    if type(tg) is not dict or NOTICE_CLAIM in claims:  # a notice's claims: not a code
        return None
    iss, sub, iat, exp, cti = (claims.get(1), claims.get(2), claims.get(6), claims.get(4),
                               claims.get(7))
    color, kind, name, rules = tg.get("c"), tg.get("k"), tg.get("n"), tg.get("r")
    if not (type(iss) is str and type(sub) is str and type(iat) is int and type(exp) is int
            and type(cti) is bytes and type(name) is str and type(rules) is str
            and type(color) is str and type(kind) is str):
        return None
    color, kind = _COLORS.get(color), _KINDS.get(kind)
    if color is None or kind is None or not (0 <= iat < MAX_EPOCH and 0 <= exp < MAX_EPOCH):
        return None
    proxy = tg.get(PROXY_KEY)
    if proxy is not None and proxy is not True:
        return None
    now, leeway = int(at.timestamp()), v._leeway
    if (now > exp + leeway or iat > now + leeway or iat < key[2] or iat > key[3]
            or kind not in key[4]):
        return None
    revocations = v.revocations
    if revocations is not None:
        # RevocationList.is_revoked, inlined: SHA-256(cti)[:16] is listed.
        if sha256(cti).digest()[:REVOCATION_HASH_BYTES] in revocations.hashes:
            return None
        if at > revocations.expires_at:
            warnings += _REVOCATIONS_EXPIRED
    v.fast_verdicts += 1
    return valid_verdict({"iss": iss, "sub": sub, "iat": iso_utc(iat), "exp": iso_utc(exp),
                          "cti": cti.hex(), "color": color, "kind": kind, "masked_name": name,
                          "rules_version": rules, "proxy": proxy is True},
                         warnings, "TG1", kid_hex, alg_text, names)
