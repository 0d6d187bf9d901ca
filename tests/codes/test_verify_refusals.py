"""Every refusal reason of the verification pipeline, with real crypto and real bytes."""

from __future__ import annotations

import os
import zlib
from datetime import timedelta

import base45
import cbor2
import pytest
from codes_support import NOW, issue, sign_raw, trusted, wrap
from cwt import COSE, COSEKey

import codes
from codes.envelope import MAX_CBOR_DEPTH, MAX_INFLATED_BYTES


def claims_map() -> dict:
    return {1: "TG", 2: "S7KQ2M4XW9PA", 4: int(NOW.timestamp()) + 600,
            6: int(NOW.timestamp()), 7: b"12345678",
            -70000: {"c": "g", "k": "l", "n": "张*明", "r": "1"}}


def verify(text, trust_list, **kw):
    kw.setdefault("at", NOW)
    return codes.verify_code(text, trust_list=trust_list, **kw)


@pytest.mark.parametrize("text", ["HELLO", "", "tg1:ABC", "NCF590B20", "TG2:NCF5"])
def test_bad_prefix(text, trust_list):
    assert verify(text, trust_list).reason == "bad_prefix"


def test_not_text_is_bad_prefix(trust_list):
    assert verify(b"TG1:NCF5", trust_list).reason == "bad_prefix"


def test_one_megabyte_is_too_large(trust_list):
    verdict = verify("TG1:" + "A" * 1_000_000, trust_list)
    assert verdict.reason == "too_large" and not verdict.valid


@pytest.mark.parametrize("body", ["abc", "A", "ÄÖÜ", "GGW"])  # lower case, 1 char, non-set, >0xFFFF
def test_bad_base45(body, trust_list):
    assert verify("TG1:" + body, trust_list).reason == "bad_base45"


def test_random_bytes(trust_list):
    for _ in range(20):
        text = "TG1:" + base45.b45encode(os.urandom(120)).decode()
        assert verify(text, trust_list).reason == "bad_compression"


def test_truncated_codes(es256_key, trust_list):
    text = issue(es256_key)
    reasons = {verify(text[:n], trust_list).reason for n in range(5, len(text) - 1)}
    assert reasons <= {"bad_base45", "bad_compression", "bad_prefix"}
    assert {"bad_base45", "bad_compression"} <= reasons


def test_zlib_bomb(trust_list):
    bomb = zlib.compress(b"\x00" * (1024 * 1024), 9)  # 1 MiB from about 1 KiB
    assert len(bomb) < 2_000
    verdict = verify("TG1:" + base45.b45encode(bomb).decode(), trust_list)
    assert verdict.reason == "too_large"
    assert str(MAX_INFLATED_BYTES) in verdict.detail


def test_cbor_nesting_bomb_in_envelope(trust_list):
    nested = b"\x81" * 2_000 + b"\x00"
    verdict = verify(wrap(nested), trust_list)
    assert verdict.reason == "bad_cose" and "nested" in verdict.detail


def test_cbor_nesting_bomb_in_claims(es256_key, trust_list):
    payload = b"\xa1\x01" + b"\x81" * 5_000 + b"\x00"
    verdict = verify(wrap(sign_raw(es256_key, payload)), trust_list)
    assert verdict.reason == "bad_claims" and "nested" in verdict.detail


@pytest.mark.parametrize("cose", [
    cbor2.dumps(cbor2.CBORTag(98, [b"", {}, b"x", b"y"])),
    cbor2.dumps([b"", {}, b"x"]),
    cbor2.dumps([b"\xa0", [], b"x", b"y"]),
    cbor2.dumps(["text", {}, b"x", b"y"]),
    cbor2.dumps([b"", {}, None, b"y"]),
    cbor2.dumps([b"", {}, b"x", "sig"]),
    cbor2.dumps([b"\xff\xff", {}, b"x", b"y"]),
    cbor2.dumps([b"", {}, b"x", b"y"]) + b"\x00",
    b"\x9f",
])
def test_bad_cose_structures(cose, trust_list):
    assert verify(wrap(cose), trust_list).reason == "bad_cose"


def test_untagged_cose_is_accepted(es256_key, trust_list):
    tagged = sign_raw(es256_key, cbor2.dumps(claims_map()))
    untagged = cbor2.dumps(cbor2.loads(tagged).value)
    assert verify(wrap(untagged), trust_list).valid


def test_valid_envelope_missing_claims(es256_key, trust_list):
    for missing in (1, 2, 4, 6, 7, -70000):
        payload = cbor2.dumps({k: v for k, v in claims_map().items() if k != missing})
        verdict = verify(wrap(sign_raw(es256_key, payload)), trust_list)
        assert verdict.reason == "bad_claims", missing
    bad_colour = claims_map()
    bad_colour[-70000] = {"c": "purple", "k": "l", "n": "x", "r": "1"}
    verdict = verify(wrap(sign_raw(es256_key, cbor2.dumps(bad_colour))), trust_list)
    assert verdict.reason == "bad_claims"
    not_a_map = verify(wrap(sign_raw(es256_key, cbor2.dumps([1, 2]))), trust_list)
    assert not_a_map.reason == "bad_claims"


def test_es384_refused(trust_list):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    pem = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    key = COSEKey.from_pem(pem, alg="ES384", kid=b"k")
    cose = COSE.new().encode_and_sign(cbor2.dumps(claims_map()), key,
                                      protected={1: -35, 4: b"k"})
    verdict = verify(wrap(cose), trust_list)
    assert verdict.reason == "bad_algorithm" and verdict.alg == "-35"


def test_hs256_refused(es256_key, trust_list):
    mac_key = COSEKey.from_symmetric_key(b"0" * 32, alg="HS256", kid=es256_key.kid)
    mac0 = COSE.new().encode_and_mac(cbor2.dumps(claims_map()), mac_key,
                                     protected={1: 5, 4: es256_key.kid})
    # Present the MAC0 body as if it were a COSE_Sign1: the algorithm check must refuse it.
    as_sign1 = cbor2.dumps(cbor2.CBORTag(18, cbor2.loads(mac0).value))
    assert verify(wrap(as_sign1), trust_list).reason == "bad_algorithm"


def test_alg_only_in_unprotected_header_refused(es256_key, trust_list):
    tagged = cbor2.loads(sign_raw(es256_key, cbor2.dumps(claims_map())))
    tagged.value[0] = cbor2.dumps({4: es256_key.kid})
    tagged.value[1] = {1: -7}
    verdict = verify(wrap(cbor2.dumps(tagged)), trust_list)
    assert verdict.reason == "bad_algorithm" and "protected" in verdict.detail


def test_unknown_kid(trust_list):
    stranger = codes.generate_key()
    assert verify(issue(stranger), trust_list).reason == "unknown_kid"
    assert verify(issue(stranger), None).reason == "unknown_kid"


@pytest.mark.parametrize("where", ["signature", "payload"])
def test_tampered(es256_key, trust_list, where):
    tagged = cbor2.loads(sign_raw(es256_key, cbor2.dumps(claims_map())))
    if where == "signature":
        sig = bytearray(tagged.value[3])
        sig[10] ^= 0x40
        tagged.value[3] = bytes(sig)
    else:
        forged = claims_map()
        forged[-70000] = {"c": "g", "k": "l", "n": "李*四", "r": "1"}
        tagged.value[2] = cbor2.dumps(forged)
    assert verify(wrap(cbor2.dumps(tagged)), trust_list).reason == "bad_signature"


def test_signature_of_wrong_length(es256_key, trust_list):
    tagged = cbor2.loads(sign_raw(es256_key, cbor2.dumps(claims_map())))
    tagged.value[3] = tagged.value[3][:40]
    assert verify(wrap(cbor2.dumps(tagged)), trust_list).reason == "bad_signature"


def test_expired_with_and_without_leeway(es256_key, trust_list):
    text = issue(es256_key, ttl=timedelta(minutes=10))
    exp = NOW + timedelta(minutes=10)
    assert verify(text, trust_list, at=exp).valid
    assert verify(text, trust_list, at=exp + codes.CLOCK_SKEW_LEEWAY).valid
    late = verify(text, trust_list, at=exp + codes.CLOCK_SKEW_LEEWAY + timedelta(seconds=1))
    assert late.reason == "expired" and late.message_zh == "该码已过期。"
    strict = codes.Policy(leeway=timedelta(0))
    assert verify(text, trust_list, at=exp + timedelta(seconds=1),
                  policy=strict).reason == "expired"


def test_not_yet_valid(es256_key, trust_list):
    text = issue(es256_key, at=NOW + timedelta(minutes=5))
    assert verify(text, trust_list).reason == "not_yet_valid"
    assert verify(text, trust_list, at=NOW + timedelta(minutes=4, seconds=30)).valid


def test_key_not_valid_and_kind_not_allowed(es256_key):
    window = codes.build_trust_list(
        [trusted(es256_key, valid_from=NOW + timedelta(hours=1))], issued_at=NOW)
    assert verify(issue(es256_key), window).reason == "key_not_valid"
    paper_only = codes.build_trust_list([trusted(es256_key, kinds=("paper",))], issued_at=NOW)
    assert verify(issue(es256_key, kind="live"), paper_only).reason == "kind_not_allowed"
    assert verify(issue(es256_key, kind="paper"), paper_only).valid


def test_refusal_keeps_claims_empty(es256_key, trust_list):
    verdict = verify(issue(es256_key), trust_list, at=NOW + timedelta(days=1))
    assert verdict.claims == {} and verdict.to_dict()["valid"] is False


def test_depth_cap_is_small(trust_list):
    assert MAX_CBOR_DEPTH <= 32


def test_times_beyond_year_9999_are_bad_claims(es256_key, trust_list):
    for key, value in ((4, 10**13), (6, -5), (4, 2**64)):
        claims = claims_map()
        claims[key] = value
        verdict = verify(wrap(sign_raw(es256_key, cbor2.dumps(claims))), trust_list)
        assert not verdict.valid and verdict.reason == "bad_claims", (key, value)
