"""The code envelope, layer by layer: CBOR claims → COSE_Sign1 → zlib → Base45 → prefix.

Encoding uses python-cwt (COSE_Sign1), zlib and the ``base45`` package. Decoding is split
into one function per layer so the verifier can name the layer that failed; each raises
:class:`~codes.reasons.Refusal` with a stable reason.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from typing import Any

import base45
import cbor2
from cwt import COSE, COSEHeaders

from codes.b45 import b45decode
from codes.keys import SigningKey
from codes.reasons import Reason, Refusal

TG_PREFIX = "TG1:"
DCC_PREFIX = "HC1:"
#: Resumption notices (``codes/notice.py``): same envelope, a claim type of their own.
NOTICE_PREFIX = "TGN1:"
PREFIXES = (TG_PREFIX, DCC_PREFIX, NOTICE_PREFIX)
#: Largest code text accepted (a QR symbol holds at most 4296 alphanumeric characters).
MAX_TEXT_CHARS = 4296
#: Largest inflated COSE message; real codes are < 2 KiB, this stops zlib bombs.
MAX_INFLATED_BYTES = 16 * 1024
#: Deepest CBOR nesting accepted; deeper input is a nesting bomb, refused with a reason.
MAX_CBOR_DEPTH = 16
COSE_SIGN1_TAG = 18

_COSE = COSE.new()


def seal(claims: dict[int, Any], key: SigningKey, prefix: str = TG_PREFIX) -> str:
    """Sign a claims map and wrap it into a printable code (DCC-style stack)."""
    payload = cbor2.dumps(claims)
    protected = {COSEHeaders.ALG: key.alg, COSEHeaders.KID: key.kid}
    message = _COSE.encode_and_sign(payload, key.cose_key, protected=protected)
    return prefix + base45.b45encode(zlib.compress(message, 9)).decode("ascii")


def split_prefix(text: str) -> tuple[str, str]:
    """(prefix, body) of a code; trailing whitespace from scanners is ignored."""
    if not isinstance(text, str):
        raise Refusal(Reason.BAD_PREFIX, "code is not text")
    for prefix in PREFIXES:
        if text.startswith(prefix):
            return prefix, text[len(prefix):].rstrip()
    raise Refusal(Reason.BAD_PREFIX, f"expected one of {', '.join(PREFIXES)}")


def check_size(text: str) -> None:
    if len(text) > MAX_TEXT_CHARS:
        raise Refusal(Reason.TOO_LARGE, f"{len(text)} characters > {MAX_TEXT_CHARS}")


def unbase45(body: str) -> bytes:
    try:
        return b45decode(body)
    except (ValueError, TypeError) as err:
        raise Refusal(Reason.BAD_BASE45, str(err)) from err


def inflate(data: bytes) -> bytes:
    """zlib-decompress with an output cap, so a small bomb cannot fill memory."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_INFLATED_BYTES + 1)
    except zlib.error as err:
        raise Refusal(Reason.BAD_COMPRESSION, str(err)) from err
    if len(out) > MAX_INFLATED_BYTES or inflater.unconsumed_tail:
        raise Refusal(Reason.TOO_LARGE, f"inflates beyond {MAX_INFLATED_BYTES} bytes")
    if not inflater.eof:
        raise Refusal(Reason.BAD_COMPRESSION, "compressed data is truncated")
    if inflater.unused_data:
        raise Refusal(Reason.BAD_COMPRESSION, "data after the compressed stream")
    return out


def cbor_load(data: bytes, reason: Reason, what: str) -> Any:
    """Decode exactly one CBOR item with a depth cap; failures become ``reason``."""
    stream = io.BytesIO(data)
    try:
        item = cbor2.CBORDecoder(stream, max_depth=MAX_CBOR_DEPTH).decode()
    except cbor2.CBORDecodeError as err:
        if "depth" in str(err):
            raise Refusal(reason, f"{what}: CBOR nested deeper than {MAX_CBOR_DEPTH}") from err
        raise Refusal(reason, f"{what}: not valid CBOR ({err})") from err
    except (ValueError, TypeError, OverflowError, RecursionError) as err:
        raise Refusal(reason, f"{what}: not valid CBOR ({err})") from err
    if stream.tell() != len(data):
        raise Refusal(reason, f"{what}: trailing bytes after the CBOR item")
    return item


@dataclass(frozen=True, slots=True)
class Sign1:
    """A parsed COSE_Sign1 (RFC 9052 §4.2), headers decoded, nothing verified yet."""

    protected_bytes: bytes
    protected: dict
    unprotected: dict
    payload: bytes
    signature: bytes

    @property
    def alg(self) -> Any:
        return self.protected.get(COSEHeaders.ALG)

    @property
    def kid(self) -> Any:
        """The kid; the protected header wins over the unprotected one (as in the DCC)."""
        kid = self.protected.get(COSEHeaders.KID)
        return kid if kid is not None else self.unprotected.get(COSEHeaders.KID)

    def to_be_signed(self) -> bytes:
        """The Sig_structure of RFC 9052 §4.4: ``["Signature1", protected, h'', payload]``.

        Built here because the verifier checks the signature itself (to tell bad_signature
        from the other reasons), and by concatenation rather than ``cbor2.dumps``: the array
        head and context string are constant, so only two byte-string heads vary. This is
        the same deterministic encoding (tests compare it with cbor2) at a fifth the cost.
        """
        return b"".join((_SIG1_HEAD, _bstr_head(len(self.protected_bytes)),
                         self.protected_bytes, b"\x40", _bstr_head(len(self.payload)),
                         self.payload))


#: CBOR array(4) followed by text(10) "Signature1": the fixed start of a Sig_structure.
_SIG1_HEAD = b"\x84\x6aSignature1"


def _bstr_head(length: int) -> bytes:
    """The shortest CBOR head of a byte string (major type 2) of ``length`` bytes."""
    if length < 24:
        return bytes((0x40 + length,))
    if length < 0x100:
        return bytes((0x58, length))
    if length < 0x10000:
        return b"\x59" + length.to_bytes(2, "big")
    if length < 0x100000000:
        return b"\x5a" + length.to_bytes(4, "big")
    return b"\x5b" + length.to_bytes(8, "big")


#: Decoded protected headers by their bytes. Every code from one key carries the same
#: header, so a checkpoint decodes it once. Only flat headers (int keys, scalar values) are
#: kept and a copy is handed out, so no caller can change the cached one; the cache is
#: emptied when full, so odd headers cannot grow it.
_PROTECTED: dict[bytes, dict] = {}
_PROTECTED_MAX = 64


def _protected_header(data: bytes) -> Any:
    cached = _PROTECTED.get(data)
    if cached is not None:
        return cached.copy()
    header = cbor_load(data, Reason.BAD_COSE, "protected header")
    if isinstance(header, dict) and all(
            type(k) is int and type(v) in (int, bytes, str) for k, v in header.items()):
        if len(_PROTECTED) >= _PROTECTED_MAX:
            _PROTECTED.clear()
        _PROTECTED[data] = header.copy()
    return header


def parse_sign1(data: bytes) -> Sign1:
    """Parse a tagged (18) or untagged COSE_Sign1.

    We parse the array ourselves instead of calling ``cwt.COSE.decode``: that call reports
    every failure as one error and re-parses on each call, where the verifier needs a
    distinct reason per layer (structure, algorithm, kid, signature).
    """
    item = cbor_load(data, Reason.BAD_COSE, "COSE message")
    if isinstance(item, cbor2.CBORTag):
        if item.tag != COSE_SIGN1_TAG:
            raise Refusal(Reason.BAD_COSE, f"CBOR tag {item.tag} is not COSE_Sign1 (18)")
        item = item.value
    if not isinstance(item, list) or len(item) != 4:
        raise Refusal(Reason.BAD_COSE, "COSE_Sign1 must be an array of 4 items")
    protected_bytes, unprotected, payload, signature = item
    if not isinstance(protected_bytes, bytes):
        raise Refusal(Reason.BAD_COSE, "protected header is not a byte string")
    protected = _protected_header(protected_bytes) if protected_bytes else {}
    if not isinstance(protected, dict) or not isinstance(unprotected, dict):
        raise Refusal(Reason.BAD_COSE, "headers must be maps")
    if not isinstance(payload, bytes):
        raise Refusal(Reason.BAD_COSE, "payload is missing or detached")
    if not isinstance(signature, bytes):
        raise Refusal(Reason.BAD_COSE, "signature is not a byte string")
    return Sign1(protected_bytes, protected, unprotected, payload, signature)


def kid_hex(sign1: Sign1 | None) -> str:
    """The kid as hex for a verdict, or "" when there is none (or it is not bytes)."""
    kid = None if sign1 is None else sign1.kid
    return kid.hex() if isinstance(kid, bytes) else ""


def open_code(text: str) -> tuple[str, Sign1]:
    """Unwrap a code text to its prefix and parsed COSE_Sign1 without verifying anything."""
    check_size(text)
    prefix, body = split_prefix(text)
    return prefix, parse_sign1(inflate(unbase45(body)))
