"""Sealing identity data at rest (AES-256-GCM) and keyed blind indexes (HMAC-SHA256).

All keys derive from a secret with HKDF, one ``info`` label per purpose, so one secret in
the environment is enough and no purpose shares a key with another. The seal key may have
its own secret (``seal.key``) and a keyring of earlier ones (``seal.previous_keys``):
a sealed value names the key that sealed it, so ``tongguan secrets rotate-seal`` can move
data to a new key while the old one still opens what it has not reached yet
(docs/privacy.md). Blind indexes always derive from ``secret_key``.

A sealed value is ``0x02 ‖ key id (4 bytes) ‖ nonce (12) ‖ ciphertext+tag``; values
written before key ids existed (``0x01 ‖ nonce ‖ ciphertext+tag``) open with whichever
key of the ring authenticates them.
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
TAG_SIZE = 16
KEY_ID_SIZE = 4
SEAL_V1 = b"\x01"  #: no key id (before keyrings)
SEAL_VERSION = b"\x02"  #: with the sealing key's id


class SealError(TongguanError):
    """Sealed data could not be opened (wrong key or tampered)."""


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose, derived from the service secret."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"tongguan",
                info=purpose.encode()).derive(secret.encode())


def key_id(key: bytes) -> bytes:
    """The 4-byte id a sealed value carries to name its key (not secret: a hash)."""
    return hashlib.sha256(b"tongguan-seal-key-id\x00" + key).digest()[:KEY_ID_SIZE]


class Sealer:
    """Encrypts and decrypts JSON-able values and bytes with AES-GCM.

    Args:
        secret: the service secret (blind indexes; also the seal key when ``seal_secret``
            is empty).
        seal_secret: the secret of the current seal key; empty: ``secret``.
        previous: secrets of earlier seal keys, still accepted for opening.
    """

    def __init__(self, secret: str, *, seal_secret: str = "",
                 previous: tuple[str, ...] = ()) -> None:
        current = derive_key(seal_secret or secret, "seal-v1")
        self.key_id = key_id(current)
        self._aead = AESGCM(current)
        self._ring: dict[bytes, AESGCM] = {self.key_id: self._aead}
        for old in previous:
            key = derive_key(old, "seal-v1")
            self._ring.setdefault(key_id(key), AESGCM(key))
        self._index_key = derive_key(secret, "blind-index-v1")

    def seal_bytes(self, data: bytes, *, context: bytes = b"") -> bytes:
        nonce = os.urandom(NONCE_SIZE)
        return SEAL_VERSION + self.key_id + nonce + self._aead.encrypt(nonce, data, context)

    def open_bytes(self, blob: bytes, *, context: bytes = b"") -> bytes:
        """Open a value sealed under any key of the ring.

        Raises:
            SealError: malformed, tampered, or sealed under a key not in the ring.
        """
        head = blob[:1]
        if head == SEAL_VERSION and len(blob) >= 1 + KEY_ID_SIZE + NONCE_SIZE + TAG_SIZE:
            aead = self._ring.get(bytes(blob[1:1 + KEY_ID_SIZE]))
            if aead is None:
                raise SealError("sealed data names a key that is not in the keyring")
            body = blob[1 + KEY_ID_SIZE:]
            candidates = [aead]
        elif head == SEAL_V1 and len(blob) >= 1 + NONCE_SIZE + TAG_SIZE:
            body = blob[1:]
            candidates = list(self._ring.values())
        else:
            raise SealError("sealed data is malformed")
        for aead in candidates:
            try:
                return aead.decrypt(body[:NONCE_SIZE], body[NONCE_SIZE:], context)
            except InvalidTag:
                continue
        raise SealError("sealed data does not open with this key")

    def is_current(self, blob: bytes) -> bool:
        """Whether ``blob`` is sealed under the current key (no decryption)."""
        return blob[:1] == SEAL_VERSION and bytes(blob[1:1 + KEY_ID_SIZE]) == self.key_id

    def reseal_bytes(self, blob: bytes, *, context: bytes = b"") -> bytes:
        """``blob`` sealed again under the current key (same plaintext, same context)."""
        return self.seal_bytes(self.open_bytes(blob, context=context), context=context)

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
