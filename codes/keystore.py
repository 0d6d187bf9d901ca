"""A directory of signing keys with an index, rotation and trust-list export.

Layout::

    <dir>/keys.json              index (kid, alg, file, valid_from, valid_until, kinds, active)
    <dir>/<kid-hex>.key.pem      code-signing private keys, PKCS#8, mode 0600
    <dir>/list-signer.key.pem    trust-list / revocation-list signing key, mode 0600
    <dir>/list-signer.pub.pem    its public key, handed to checkpoints with the lists

Private keys are encrypted with ``TONGGUAN_KEY_PASSPHRASE`` when that is set.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from codes.algs import ALG_IDS, ALG_NAMES
from codes.errors import KeyStoreError, SignedListError, SigningKeyError
from codes.keys import (
    KINDS,
    SigningKey,
    TrustedKey,
    generate_key,
    load_private_key_pem,
    private_key_pem,
    write_secret_file,
)
from codes.signed_list import b64, iso, parse_iso, unb64
from codes.trustlist import TRUST_LIST_LIFETIME, TrustList, build_trust_list, sign_trust_list

PASSPHRASE_ENV = "TONGGUAN_KEY_PASSPHRASE"
INDEX_FILE = "keys.json"
LIST_SIGNER_FILE = "list-signer.key.pem"
LIST_SIGNER_PUBLIC_FILE = "list-signer.pub.pem"
#: Retired keys stay in trust lists this long after their window closes (longest code TTL).
RETIRED_KEY_GRACE = timedelta(days=7)


@dataclass(frozen=True)
class KeyRecord:
    """One code-signing key in the index."""

    kid: bytes
    alg: str
    file: str
    valid_from: datetime
    valid_until: datetime | None
    kinds: tuple[str, ...]
    active: bool
    spki: bytes  #: DER SubjectPublicKeyInfo, so trust lists need no private key

    def to_json(self) -> dict:
        return {"kid": self.kid.hex(), "alg": self.alg, "file": self.file, "spki": b64(self.spki),
                "valid_from": iso(self.valid_from),
                "valid_until": iso(self.valid_until) if self.valid_until else None,
                "kinds": list(self.kinds), "active": self.active}

    @classmethod
    def from_json(cls, data: dict) -> KeyRecord:
        try:
            until = data.get("valid_until")
            return cls(kid=bytes.fromhex(data["kid"]), alg=data["alg"], file=data["file"],
                       valid_from=parse_iso(data["valid_from"], "valid_from"),
                       valid_until=parse_iso(until, "valid_until") if until else None,
                       kinds=tuple(data.get("kinds", KINDS)), active=bool(data["active"]),
                       spki=unb64(data["spki"], "spki"))
        except (KeyError, TypeError, ValueError, SignedListError) as err:
            raise KeyStoreError(f"{INDEX_FILE}: bad key entry {data!r}") from err


class KeyStore:
    """Signing keys on disk. Open with :meth:`open`; times are always passed in."""

    def __init__(self, directory: Path, *, passphrase: bytes | None = None) -> None:
        self.directory = Path(directory)
        self._passphrase = passphrase or None
        self._signers: dict[bytes, SigningKey] = {}

    @classmethod
    def open(cls, directory: Path | str, *, passphrase: bytes | None = None,
             env: Mapping[str, str] | None = None) -> KeyStore:
        """A key store; the passphrase defaults to ``$TONGGUAN_KEY_PASSPHRASE``."""
        if passphrase is None:
            value = (os.environ if env is None else env).get(PASSPHRASE_ENV, "")
            passphrase = value.encode("utf-8") if value else None
        return cls(Path(directory), passphrase=passphrase)

    # -- index -------------------------------------------------------------------------
    def records(self) -> list[KeyRecord]:
        """Every code-signing key in the index (empty if the store is new)."""
        path = self.directory / INDEX_FILE
        if not path.exists():
            return []
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return [KeyRecord.from_json(e) for e in data["keys"]]
        except (ValueError, KeyError, TypeError) as err:
            raise KeyStoreError(f"{path}: not a key index ({err})") from err

    def _save(self, records: list[KeyRecord]) -> None:
        text = json.dumps({"version": 1, "keys": [r.to_json() for r in records]}, indent=2)
        write_secret_file(self.directory / INDEX_FILE, text.encode("utf-8") + b"\n")

    def active_record(self) -> KeyRecord:
        active = [r for r in self.records() if r.active]
        if not active:
            raise KeyStoreError(f"no active signing key in {self.directory}; "
                                "run `tongguan keys generate`")
        return active[-1]

    # -- keys --------------------------------------------------------------------------
    def _write_key(self, key: SigningKey, name: str) -> None:
        write_secret_file(self.directory / name, private_key_pem(key, self._passphrase))

    def _read_key(self, name: str) -> SigningKey:
        path = self.directory / name
        try:
            data = path.read_bytes()
        except OSError as err:
            raise KeyStoreError(f"cannot read {path}: {err.strerror}") from err
        try:
            return load_private_key_pem(data, self._passphrase)
        except SigningKeyError as err:
            raise KeyStoreError(f"{path}: {err}") from err

    def generate(self, *, at: datetime, alg: str = "ES256",
                 kinds: tuple[str, ...] = KINDS) -> KeyRecord:
        """Create the first active key (and the list signer if missing).

        Raises:
            KeyStoreError: an active key already exists (use :meth:`rotate`).
        """
        if any(r.active for r in self.records()):
            raise KeyStoreError("an active key already exists; use `tongguan keys rotate`")
        return self._add(at=at, alg=alg, kinds=kinds)

    def rotate(self, *, at: datetime, alg: str | None = None) -> KeyRecord:
        """Retire the active key (it keeps verifying codes it signed) and add a new one."""
        old = self.active_record()
        return self._add(at=at, alg=alg or old.alg, kinds=old.kinds)

    def _add(self, *, at: datetime, alg: str, kinds: tuple[str, ...]) -> KeyRecord:
        if alg not in ALG_IDS or not set(kinds) <= set(KINDS):
            raise KeyStoreError(f"bad alg {alg!r} or kinds {kinds!r}")
        self.list_signer(create=True)
        key = generate_key(alg)
        record = KeyRecord(kid=key.kid, alg=ALG_NAMES[key.alg], file=f"{key.kid.hex()}.key.pem",
                           valid_from=at, valid_until=None, kinds=tuple(kinds), active=True,
                           spki=key.spki)
        self._write_key(key, record.file)
        records = [replace(r, active=False, valid_until=r.valid_until or at) if r.active else r
                   for r in self.records()]
        self._save([*records, record])
        self._signers[key.kid] = key
        return record

    def active_signer(self) -> SigningKey:
        """The private key new codes are signed with (decrypted once, then cached)."""
        record = self.active_record()
        if record.kid not in self._signers:
            self._signers[record.kid] = self._read_key(record.file)
        return self._signers[record.kid]

    def list_signer(self, *, create: bool = False) -> SigningKey:
        """The key that signs trust and revocation lists."""
        path = self.directory / LIST_SIGNER_FILE
        if not path.exists():
            if not create:
                raise KeyStoreError(f"no list signer in {self.directory}; "
                                    "run `tongguan keys generate`")
            key = generate_key("ES256")
            self._write_key(key, LIST_SIGNER_FILE)
            public = key.public_key.public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
            (self.directory / LIST_SIGNER_PUBLIC_FILE).write_bytes(public)
            return key
        return self._read_key(LIST_SIGNER_FILE)

    def list_signer_public_pem(self) -> bytes:
        """The list signer's public key (PEM SPKI) for checkpoints."""
        try:
            return (self.directory / LIST_SIGNER_PUBLIC_FILE).read_bytes()
        except OSError as err:
            raise KeyStoreError(f"no list signer public key in {self.directory}") from err

    # -- trust list --------------------------------------------------------------------
    def trusted_keys(self, *, at: datetime, grace: timedelta = RETIRED_KEY_GRACE
                     ) -> list[TrustedKey]:
        """Public keys for a trust list: active ones, and retired ones within ``grace``."""
        keys = []
        for r in self.records():
            if r.valid_until is not None and r.valid_until + grace < at:
                continue
            keys.append(TrustedKey.from_spki(r.spki, valid_from=r.valid_from,
                                             valid_until=r.valid_until, kinds=r.kinds))
        return keys

    def trust_list(self, *, at: datetime, lifetime: timedelta = TRUST_LIST_LIFETIME) -> TrustList:
        return build_trust_list(self.trusted_keys(at=at), issued_at=at, lifetime=lifetime)

    def signed_trust_list(self, *, at: datetime,
                          lifetime: timedelta = TRUST_LIST_LIFETIME) -> str:
        """The signed trust-list JSON, ready to publish to checkpoints."""
        return sign_trust_list(self.trust_list(at=at, lifetime=lifetime), self.list_signer())
