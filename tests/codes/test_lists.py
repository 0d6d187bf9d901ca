"""Signed trust lists and revocation lists: signing, tampering, staleness, revocation."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from codes_support import NOW, issue, trusted

import codes


@pytest.fixture
def signed(es256_key, list_signer) -> str:
    tl = codes.build_trust_list([trusted(es256_key, kinds=("live",))], issued_at=NOW)
    return codes.sign_trust_list(tl, list_signer)


def pub(key: codes.SigningKey) -> bytes:
    return key.spki


def test_trust_list_round_trip(signed, es256_key, list_signer):
    tl = codes.load_trust_list(signed, signer_public_key=pub(list_signer))
    assert tl.issued_at == NOW and tl.expires_at == NOW + timedelta(hours=72)
    (key,) = tl.keys
    assert key.kid == es256_key.kid and key.kinds == frozenset({"live"})
    assert codes.verify_code(issue(es256_key), trust_list=tl, at=NOW).valid


@pytest.mark.parametrize("edit", [
    lambda d: d["payload"]["keys"][0].__setitem__("kinds", ["live", "paper"]),
    lambda d: d["payload"].__setitem__("expires_at", "2099-01-01T00:00:00Z"),
    lambda d: d["payload"]["keys"].append(dict(d["payload"]["keys"][0])),
    lambda d: d["signature"].__setitem__("value", d["signature"]["value"][::-1]),
])
def test_trust_list_tampering_detected(signed, list_signer, edit):
    doc = json.loads(signed)
    edit(doc)
    with pytest.raises(codes.SignedListError):
        codes.load_trust_list(json.dumps(doc), signer_public_key=pub(list_signer))


def test_trust_list_needs_the_right_signer(signed):
    with pytest.raises(codes.SignedListError, match="different key"):
        codes.load_trust_list(signed, signer_public_key=codes.generate_key().spki)


def test_trust_list_refuses_other_algorithms(signed, list_signer):
    doc = json.loads(signed)
    doc["signature"]["alg"] = "HS256"
    with pytest.raises(codes.SignedListError, match="not allowed"):
        codes.load_trust_list(json.dumps(doc), signer_public_key=pub(list_signer))


@pytest.mark.parametrize("text", ["", "[]", "{\"payload\": 1}", "not json"])
def test_trust_list_malformed(text, list_signer):
    with pytest.raises(codes.SignedListError):
        codes.load_trust_list(text, signer_public_key=pub(list_signer))


def test_revocation_list_is_not_a_trust_list(list_signer):
    rl = codes.sign_revocation_list(codes.build_revocation_list([], issued_at=NOW), list_signer)
    with pytest.raises(codes.SignedListError, match="expected a tongguan-trust-list"):
        codes.load_trust_list(rl, signer_public_key=pub(list_signer))


def test_trust_list_staleness(es256_key):
    tl = codes.build_trust_list([trusted(es256_key)], issued_at=NOW - timedelta(days=2),
                                lifetime=timedelta(days=30))
    text = issue(es256_key, kind="paper", ttl=timedelta(days=7), at=NOW - timedelta(days=2))
    fresh = codes.verify_code(text, trust_list=tl, at=NOW - timedelta(days=1, hours=1))
    assert fresh.valid and fresh.warnings == ()
    old = codes.verify_code(text, trust_list=tl, at=NOW)
    assert old.valid and old.warnings == ("trust_list_old",)
    assert "day old" in old.warning_messages()[0]
    stale = codes.verify_code(text, trust_list=tl, at=NOW + timedelta(days=1, minutes=1))
    assert stale.reason == "trust_list_stale" and not stale.valid
    lenient = codes.Policy(trust_list_max_age=timedelta(days=7))
    assert codes.verify_code(text, trust_list=tl, at=NOW + timedelta(days=1, minutes=1),
                             policy=lenient).valid


def test_trust_list_past_its_expiry_is_stale(es256_key):
    tl = codes.build_trust_list([trusted(es256_key)], issued_at=NOW - timedelta(hours=2),
                                lifetime=timedelta(hours=1))
    assert codes.verify_code(issue(es256_key), trust_list=tl,
                             at=NOW).reason == "trust_list_stale"


def test_revocation_reaches_the_verifier(es256_key, list_signer, trust_list):
    revoked_id, kept_id = b"revoked1", b"kept0001"
    rl = codes.build_revocation_list([revoked_id], issued_at=NOW)
    text = codes.sign_revocation_list(rl, list_signer)
    payload = json.loads(text)["payload"]
    assert payload["revoked"] and revoked_id.hex() not in text  # only hashes are published
    loaded = codes.load_revocation_list(text, signer_public_key=pub(list_signer))
    revoked = codes.verify_code(issue(es256_key, code_id=revoked_id), trust_list=trust_list,
                                revocations=loaded, at=NOW)
    assert revoked.reason == "revoked" and revoked.message_zh == "该码已被撤销。"
    kept = codes.verify_code(issue(es256_key, code_id=kept_id), trust_list=trust_list,
                             revocations=loaded, at=NOW)
    assert kept.valid
    expired = codes.verify_code(issue(es256_key, code_id=kept_id, at=NOW + timedelta(days=2)),
                                trust_list=codes.build_trust_list(
                                    [trusted(es256_key)], issued_at=NOW + timedelta(days=2)),
                                revocations=loaded, at=NOW + timedelta(days=2))
    assert expired.valid and "revocation_list_expired" in expired.warnings


def test_revocation_list_tampering(list_signer):
    text = codes.sign_revocation_list(
        codes.build_revocation_list([b"a", b"b"], issued_at=NOW), list_signer)
    doc = json.loads(text)
    doc["payload"]["revoked"].pop()
    with pytest.raises(codes.SignedListError, match="altered"):
        codes.load_revocation_list(json.dumps(doc), signer_public_key=pub(list_signer))


def test_revocation_hash_is_truncated_sha256():
    import hashlib
    assert codes.revocation_hash(b"x") == hashlib.sha256(b"x").digest()[:16]
