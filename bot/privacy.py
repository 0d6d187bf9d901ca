"""Sealing identity data at rest (AES-256-GCM) and keyed blind indexes (HMAC-SHA256).

All keys derive from ``secret_key`` with HKDF, one ``info`` label per purpose, so one
secret in the environment is enough and no purpose shares a key with another.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot import jsonfast
from bot.errors import TongguanError

NONCE_SIZE = 12
SEAL_VERSION = b"\x01"


class SealError(TongguanError):
    """Sealed data could not be opened (wrong key or tampered)."""


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose, derived from the service secret."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"tongguan",
                info=purpose.encode()).derive(secret.encode())


class Sealer:
    """Encrypts and decrypts JSON-able values and bytes with AES-GCM."""

    def __init__(self, secret: str) -> None:
        self._aead = AESGCM(derive_key(secret, "seal-v1"))
        self._index_key = derive_key(secret, "blind-index-v1")

    def seal_bytes(self, data: bytes, *, context: bytes = b"") -> bytes:
        nonce = os.urandom(NONCE_SIZE)
        return SEAL_VERSION + nonce + self._aead.encrypt(nonce, data, context)

    def open_bytes(self, blob: bytes, *, context: bytes = b"") -> bytes:
        if len(blob) < 1 + NONCE_SIZE + 16 or blob[:1] != SEAL_VERSION:
            raise SealError("sealed data is malformed")
        try:
            return self._aead.decrypt(blob[1:1 + NONCE_SIZE], blob[1 + NONCE_SIZE:], context)
        except InvalidTag as err:
            raise SealError("sealed data does not open with this key") from err

    def seal(self, value: Any, *, context: bytes = b"") -> bytes:
        """Seal a JSON-able value."""
        return self.seal_bytes(jsonfast.dumps(value), context=context)

    def open(self, blob: bytes, *, context: bytes = b"") -> Any:
        """Open a value sealed by :meth:`seal`."""
        return jsonfast.loads(self.open_bytes(blob, context=context))

    def blind_index(self, kind: str, value: str) -> str:
        """A keyed, deterministic lookup hash of ``value`` (hex), e.g. for ID numbers."""
        msg = kind.encode() + b"\x00" + value.strip().upper().encode()
        return hmac.new(self._index_key, msg, hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    """SHA-256 hex of a bearer token; only this is stored."""
    return hashlib.sha256(token.encode()).hexdigest()
