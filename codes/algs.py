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
