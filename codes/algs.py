"""COSE signature algorithms this package knows, and the allowlists per code format."""

from __future__ import annotations

from cwt import COSEAlgs

ES256 = int(COSEAlgs.ES256)  # -7, ECDSA P-256 + SHA-256 (our default, DCC's main one)
EDDSA = int(COSEAlgs.EDDSA)  # -8, Ed25519
PS256 = int(COSEAlgs.PS256)  # -37, RSASSA-PSS + SHA-256 (DCC only)

ALG_NAMES: dict[int, str] = {ES256: "ES256", EDDSA: "EdDSA", PS256: "PS256"}
ALG_IDS: dict[str, int] = {name: alg for alg, name in ALG_NAMES.items()}

#: Algorithms accepted on ``TG1:`` codes. Anything else is refused with ``bad_algorithm``.
TG_ALLOWED: frozenset[int] = frozenset({ES256, EDDSA})
#: Algorithms the EU DCC allows on ``HC1:`` codes.
DCC_ALLOWED: frozenset[int] = frozenset({ES256, PS256})
#: Algorithms we generate keys for.
KEY_ALGS: tuple[str, ...] = ("ES256", "EdDSA")


def alg_name(alg: object) -> str:
    """A printable name for a COSE alg value, known or not."""
    return ALG_NAMES.get(alg, repr(alg)) if isinstance(alg, int) else repr(alg)


def der_signature(signature: bytes) -> bytes:
    """A 64-byte ES256 signature (r||s, RFC 9053 §2.1) as the DER ``cryptography`` wants.

    The same bytes as ``encode_dss_signature(r, s)`` (the tests compare them) without the
    two big-int conversions: each half loses its leading zero bytes and regains one if its
    top bit is set (DER INTEGERs are signed). Lengths stay below 128: short-form heads.
    """
    r, s = signature[:32].lstrip(b"\0"), signature[32:].lstrip(b"\0")
    if not r or r[0] > 0x7F:
        r = b"\0" + r
    if not s or s[0] > 0x7F:
        s = b"\0" + s
    return b"".join((b"\x30", bytes((len(r) + len(s) + 4, 2, len(r))), r,
                     bytes((2, len(s))), s))
