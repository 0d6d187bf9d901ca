"""Signing keys and trusted public keys: generation, kids, PEM files (0600, encrypted).

A kid is the first 8 bytes of SHA-256 over the DER SubjectPublicKeyInfo, as the EU DCC
does for its signer certificates (there over the certificate DER).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cwt import COSEKey

from codes.algs import ALG_IDS, ALG_NAMES, EDDSA, ES256, KEY_ALGS, PS256, der_signature
from codes.errors import SigningKeyError

KID_LENGTH = 8
KINDS: tuple[str, ...] = ("live", "paper")


def kid_of(public_key: Any) -> bytes:
    """The kid of a public key: SHA-256(DER SubjectPublicKeyInfo)[:8]."""
    return hashlib.sha256(spki_of(public_key)).digest()[:KID_LENGTH]


def spki_of(public_key: Any) -> bytes:
    """The DER SubjectPublicKeyInfo of a ``cryptography`` public key."""
    return public_key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def alg_for(public_key: Any) -> int:
    """The COSE alg a public key signs with; raises for curves we do not accept."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if isinstance(public_key.curve, ec.SECP256R1):
            return ES256
        raise SigningKeyError(f"EC curve {public_key.curve.name} is not allowed (P-256 only)")
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return EDDSA
    if isinstance(public_key, rsa.RSAPublicKey):
        return PS256
    raise SigningKeyError(f"key type {type(public_key).__name__} is not allowed")


_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
_PSS_SHA256 = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
SignatureCheck = Callable[[bytes, bytes], bool]


def signature_check(public_key: Any, alg: int) -> SignatureCheck:
    """A ``check(message, signature) -> bool`` for a COSE alg, built once per key.

    Verification calls ``cryptography`` directly rather than python-cwt's key objects:
    cwt converts the r||s signature with a pure-Python loop that costs a third of the
    verify itself. The conversion is RFC 9053 §2.1: ECDSA signatures travel as the
    fixed-length big-endian r and s, concatenated; ``cryptography`` wants DER.
    """
    if alg == ES256:
        def check_es256(message: bytes, signature: bytes) -> bool:
            if len(signature) != 64:
                return False
            try:
                public_key.verify(der_signature(signature), message, _ECDSA_SHA256)
            except InvalidSignature:
                return False
            return True
        return check_es256
    if alg == EDDSA:
        def check_eddsa(message: bytes, signature: bytes) -> bool:
            try:
                public_key.verify(signature, message)
            except InvalidSignature:
                return False
            return True
        return check_eddsa
    if alg == PS256:  # DCC only; RFC 8230: PSS, MGF1-SHA-256, salt = hash length
        def check_ps256(message: bytes, signature: bytes) -> bool:
            try:
                public_key.verify(signature, message, _PSS_SHA256, hashes.SHA256())
            except InvalidSignature:
                return False
            return True
        return check_ps256
    raise SigningKeyError(f"no verifier for COSE alg {alg}")


@dataclass(frozen=True)
class SigningKey:
    """A private key ready to sign codes and lists."""

    private_key: Any
    alg: int
    kid: bytes
    cose_key: Any = field(repr=False, compare=False)

    @property
    def alg_name(self) -> str:
        return ALG_NAMES[self.alg]

    @property
    def public_key(self) -> Any:
        return self.private_key.public_key()

    @property
    def spki(self) -> bytes:
        return spki_of(self.public_key)

    def sign(self, message: bytes) -> bytes:
        """A raw COSE signature (r||s for ES256) over ``message``."""
        return self.cose_key.sign(message)

    @classmethod
    def from_private_key(cls, private_key: Any) -> SigningKey:
        """Wrap a ``cryptography`` private key (P-256 or Ed25519)."""
        alg = alg_for(private_key.public_key())
        if alg not in (ES256, EDDSA):
            raise SigningKeyError("only ES256 and EdDSA keys can sign Tongguan codes")
        kid = kid_of(private_key.public_key())
        pem = private_key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
        try:
            cose_key = COSEKey.from_pem(pem, alg=ALG_NAMES[alg], kid=kid)
        except Exception as err:
            raise SigningKeyError(f"cannot use this private key: {err}") from err
        return cls(private_key=private_key, alg=alg, kid=kid, cose_key=cose_key)


def generate_key(alg: str = "ES256") -> SigningKey:
    """A new signing key.

    Raises:
        SigningKeyError: ``alg`` is not ES256 or EdDSA.
    """
    if alg not in KEY_ALGS:
        raise SigningKeyError(f"unknown key algorithm {alg!r}; use one of {', '.join(KEY_ALGS)}")
    if ALG_IDS[alg] == ES256:
        return SigningKey.from_private_key(ec.generate_private_key(ec.SECP256R1()))
    return SigningKey.from_private_key(ed25519.Ed25519PrivateKey.generate())


def private_key_pem(key: SigningKey, passphrase: bytes | None = None) -> bytes:
    """PEM PKCS#8, encrypted with ``passphrase`` (BestAvailableEncryption) when given."""
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase
        else serialization.NoEncryption())
    return key.private_key.private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.PKCS8, enc)


def load_private_key_pem(data: bytes, passphrase: bytes | None = None) -> SigningKey:
    """Read a PEM private key written by :func:`private_key_pem`.

    Raises:
        SigningKeyError: not a key, wrong or missing passphrase, or an unsupported type.
    """
    try:
        private_key = serialization.load_pem_private_key(data, password=passphrase or None)
    except TypeError as err:  # encrypted but no passphrase, or passphrase but not encrypted
        hint = ("it is encrypted: set TONGGUAN_KEY_PASSPHRASE" if b"ENCRYPTED" in data
                else "it is not encrypted but a passphrase was given")
        raise SigningKeyError(f"cannot read private key: {hint}") from err
    except (ValueError, UnsupportedAlgorithm) as err:
        raise SigningKeyError("cannot read private key: bad data or wrong passphrase") from err
    return SigningKey.from_private_key(private_key)


def load_public_key(data: bytes) -> Any:
    """A ``cryptography`` public key from PEM or DER SubjectPublicKeyInfo.

    Raises:
        SigningKeyError: the bytes are not a public key.
    """
    try:
        if data.lstrip().startswith(b"-----"):
            return serialization.load_pem_public_key(data)
        return serialization.load_der_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as err:
        raise SigningKeyError("not a public key (expected PEM or DER SPKI)") from err


def write_secret_file(path: Path, data: bytes) -> None:
    """Write ``data`` atomically to ``path`` with mode 0600 (never readable by others)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pem")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class TrustedKey:
    """A public key a verifier trusts, with the window in which it may sign and its kinds.

    ``valid_from``/``valid_until`` bound the *issue time* (``iat``) of codes it signs;
    codes issued inside the window stay verifiable until their own ``exp``.
    """

    kid: bytes
    alg: int
    spki: bytes
    valid_from: datetime
    valid_until: datetime | None = None
    kinds: frozenset[str] = frozenset(KINDS)
    check: SignatureCheck | None = field(default=None, repr=False, compare=False)
    #: The window as epoch seconds, set from the datetimes: compared with ``iat`` per scan.
    valid_from_ts: float = field(init=False, repr=False, compare=False)
    valid_until_ts: float | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        until = self.valid_until
        object.__setattr__(self, "valid_from_ts", self.valid_from.timestamp())
        object.__setattr__(self, "valid_until_ts", None if until is None else until.timestamp())

    @classmethod
    def from_spki(cls, spki: bytes, *, valid_from: datetime, valid_until: datetime | None = None,
                  kinds: tuple[str, ...] | frozenset[str] = KINDS,
                  kid: bytes | None = None) -> TrustedKey:
        """Parse the key once; ``kid`` overrides the computed one (tests, foreign kids)."""
        public_key = load_public_key(spki)
        alg = alg_for(public_key)
        kid = kid_of(public_key) if kid is None else kid
        return cls(kid=kid, alg=alg, spki=spki_of(public_key), valid_from=valid_from,
                   valid_until=valid_until, kinds=frozenset(kinds),
                   check=signature_check(public_key, alg))

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True if ``signature`` (COSE form) over ``message`` is this key's."""
        return self.check is not None and self.check(message, signature)

    def signs_at(self, when: datetime) -> bool:
        """True if a code issued at ``when`` falls inside the key's signing window."""
        return self.valid_from <= when and (self.valid_until is None or when <= self.valid_until)
