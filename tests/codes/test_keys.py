"""Key files, the key store, rotation with codes in flight, and kid collisions."""

from __future__ import annotations

import json
import stat
from datetime import timedelta

import pytest
from codes_support import NOW, issue, trusted

import codes


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_private_key_pem_round_trip_with_passphrase(alg):
    key = codes.generate_key(alg)
    pem = codes.private_key_pem(key, b"correct horse")
    assert b"ENCRYPTED" in pem
    again = codes.load_private_key_pem(pem, b"correct horse")
    assert again.kid == key.kid and again.alg == key.alg
    with pytest.raises(codes.SigningKeyError, match="wrong passphrase"):
        codes.load_private_key_pem(pem, b"wrong")
    with pytest.raises(codes.SigningKeyError, match="TONGGUAN_KEY_PASSPHRASE"):
        codes.load_private_key_pem(pem, None)


def test_unknown_key_algorithm_refused():
    with pytest.raises(codes.SigningKeyError):
        codes.generate_key("RS256")


def test_kid_is_sha256_of_spki():
    import hashlib
    key = codes.generate_key()
    assert key.kid == hashlib.sha256(key.spki).digest()[:8] == codes.kid_of(key.public_key)


def test_key_store_generate_writes_0600_encrypted(tmp_path):
    store = codes.KeyStore.open(tmp_path / "keys", env={"TONGGUAN_KEY_PASSPHRASE": "s3cret"})
    record = store.generate(at=NOW)
    key_file = tmp_path / "keys" / record.file
    assert key_file.name == f"{record.kid.hex()}.key.pem"
    assert mode(key_file) == 0o600 and b"ENCRYPTED" in key_file.read_bytes()
    assert mode(tmp_path / "keys" / "list-signer.key.pem") == 0o600
    index = json.loads((tmp_path / "keys" / "keys.json").read_text())
    assert index["keys"][0]["active"] is True and index["keys"][0]["kid"] == record.kid.hex()
    with pytest.raises(codes.KeyStoreError, match="rotate"):
        store.generate(at=NOW)
    # Reopening without the passphrase cannot use the key.
    locked = codes.KeyStore.open(tmp_path / "keys", env={})
    with pytest.raises(codes.KeyStoreError, match="TONGGUAN_KEY_PASSPHRASE"):
        locked.active_signer()


def test_key_store_without_key(tmp_path):
    store = codes.KeyStore.open(tmp_path, env={})
    with pytest.raises(codes.KeyStoreError, match="keys generate"):
        store.active_signer()


def test_rotation_keeps_codes_in_flight(tmp_path):
    store = codes.KeyStore.open(tmp_path, env={})
    store.generate(at=NOW - timedelta(days=1), alg="EdDSA")
    old_signer = store.active_signer()
    in_flight = issue(old_signer, kind="paper", at=NOW - timedelta(hours=1))
    new_record = store.rotate(at=NOW)
    new_signer = store.active_signer()
    assert new_signer.kid == new_record.kid != old_signer.kid
    assert new_signer.alg_name == "EdDSA"
    fresh = issue(new_signer, at=NOW + timedelta(minutes=1))
    text = store.signed_trust_list(at=NOW + timedelta(minutes=1))
    trust_list = codes.load_trust_list(text, signer_public_key=store.list_signer_public_pem())
    assert len(trust_list.keys) == 2
    at = NOW + timedelta(minutes=2)
    assert codes.verify_code(in_flight, trust_list=trust_list, at=at).valid
    assert codes.verify_code(fresh, trust_list=trust_list, at=at).valid
    # The retired key may not sign new codes: its window closed at the rotation.
    late = issue(old_signer, at=NOW + timedelta(minutes=1))
    assert codes.verify_code(late, trust_list=trust_list, at=at).reason == "key_not_valid"
    # Once the grace period passes, the old key leaves the trust list.
    later = NOW + timedelta(days=8)
    assert [k.kid for k in store.trusted_keys(at=later)] == [new_signer.kid]


def test_kid_collision_tries_every_key(es256_key, eddsa_key):
    other = codes.generate_key("ES256")
    shared = es256_key.kid
    keys = [trusted(other, kid=shared), trusted(eddsa_key, kid=shared), trusted(es256_key)]
    trust_list = codes.build_trust_list(keys, issued_at=NOW)
    assert len(trust_list.candidates(shared)) == 3
    verdict = codes.verify_code(issue(es256_key), trust_list=trust_list, at=NOW)
    assert verdict.valid, verdict
    only_impostors = codes.build_trust_list(keys[:2], issued_at=NOW)
    assert codes.verify_code(issue(es256_key), trust_list=only_impostors,
                             at=NOW).reason == "bad_signature"


def test_plain_trusted_keys_skip_freshness(es256_key):
    verdict = codes.verify_code(issue(es256_key), trust_list=[trusted(es256_key)], at=NOW)
    assert verdict.valid and verdict.warnings == ()
