"""The straight-line fast path (codes/quick_verify.py) agrees with the named pipeline.

For every code below, three answers are compared: the pipeline alone (fast path switched
off), the fast path alone, and ``Verifier.verify`` as shipped. The shipped answer must be
the pipeline's, field for field; the fast path must either defer (``None``) or give that
same valid verdict — it never refuses on its own.
"""

from __future__ import annotations

import os
import random
import zlib
from datetime import timedelta

import base45
import cbor2
import pytest
from codes_support import NOW, issue, sign_raw, trusted, wrap
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

import codes
from codes import api, quick_verify, verify
from codes.algs import der_signature
from codes.api import LIVE_TTL
from codes.verdict import Verdict, valid_verdict

TG_CHECKS = tuple(codes.CHECKS["TG1"])


def claims_map(**tg) -> dict:
    return {1: "TG", 2: "S7KQ2M4XW9PA", 4: int(NOW.timestamp()) + 600,
            6: int(NOW.timestamp()), 7: b"12345678",
            -70000: {"c": "g", "k": "l", "n": "张*明", "r": "1", **tg}}


def answers(verifier: codes.Verifier, text, at, monkeypatch) -> tuple:
    """(pipeline verdict, fast-path verdict or None, shipped verdict)."""
    shipped = verifier.verify(text, at=at)
    fast = quick_verify.fast_verify(verifier, text, at, TG_CHECKS)
    with monkeypatch.context() as patch:
        patch.setattr(verify, "fast_verify", lambda *args: None)
        slow = verifier.verify(text, at=at)
    return slow, fast, shipped


def assert_agree(verifier, text, at, monkeypatch, *, fast_taken: bool | None = None) -> Verdict:
    slow, fast, shipped = answers(verifier, text, at, monkeypatch)
    assert shipped == slow
    if fast is not None:
        assert slow.valid and fast == slow
    if fast_taken is not None:
        assert (fast is not None) is fast_taken, slow
    return slow


# -- valid codes: the fast path answers, with the pipeline's very verdict ------------------
@pytest.fixture
def lists(es256_key, eddsa_key):
    keys = [trusted(es256_key), trusted(eddsa_key)]
    return {
        "fresh": codes.build_trust_list(keys, issued_at=NOW - timedelta(hours=1)),
        "old": codes.build_trust_list(keys, issued_at=NOW - timedelta(hours=30)),
        "stale": codes.build_trust_list(keys, issued_at=NOW - timedelta(hours=80)),
    }


@pytest.mark.parametrize("kw", [{}, {"kind": "paper"}, {"color": "yellow"}, {"color": "red"},
                                {"subject": "A"}, {"masked_name": "欧阳*娜", "rules_version": "7"}])
@pytest.mark.parametrize("alg", ["es256", "eddsa"])
def test_valid_codes_take_the_fast_path(alg, kw, es256_key, eddsa_key, lists, monkeypatch):
    key = es256_key if alg == "es256" else eddsa_key
    verifier = codes.Verifier(trust_list=lists["fresh"])
    verdict = assert_agree(verifier, issue(key, **kw), NOW, monkeypatch, fast_taken=True)
    assert verdict.valid and verdict.checks == TG_CHECKS and verdict.detail == ""


def test_counter_counts_fast_verdicts_only(es256_key, lists):
    verifier = codes.Verifier(trust_list=lists["fresh"])
    assert verifier.verify(issue(es256_key), at=NOW).valid
    assert verifier.fast_verdicts == 1
    assert verifier.verify(issue(es256_key), at=NOW + timedelta(hours=1)).reason == "expired"
    assert verifier.verify("TG1:!!", at=NOW).reason == "bad_base45"
    assert verifier.fast_verdicts == 1
    policy = codes.Policy()
    assert codes.verify_code(issue(es256_key), trust_list=lists["fresh"], at=NOW, policy=policy)
    assert api._verifier(lists["fresh"], None, None, policy).fast_verdicts == 1


def test_warnings_and_lists_agree(es256_key, lists, monkeypatch):
    text = issue(es256_key)
    other = codes.build_revocation_list([b"other id"], issued_at=NOW - timedelta(hours=1))
    expired = codes.build_revocation_list([b"other id"], issued_at=NOW - timedelta(hours=30))
    cases = [(lists["old"], None, ("trust_list_old",)), (lists["fresh"], other, ()),
             (lists["fresh"], expired, ("revocation_list_expired",)),
             (lists["old"], expired, ("trust_list_old", "revocation_list_expired")),
             ([trusted(es256_key)], None, ())]
    for trust_list, revocations, warnings in cases:
        verifier = codes.Verifier(trust_list=trust_list, revocations=revocations)
        verdict = assert_agree(verifier, text, NOW, monkeypatch, fast_taken=True)
        assert verdict.valid and verdict.warnings == warnings


def test_edges_that_still_verify(es256_key, eddsa_key, lists, monkeypatch):
    verifier = codes.Verifier(trust_list=lists["fresh"])
    text = issue(es256_key)
    edge = LIVE_TTL + codes.CLOCK_SKEW_LEEWAY
    for at in (NOW + edge, NOW - timedelta(seconds=60)):  # within leeway
        assert_agree(verifier, text, at, monkeypatch, fast_taken=True)
    assert_agree(verifier, text + " \n", NOW, monkeypatch, fast_taken=True)
    untagged = cbor2.dumps(cbor2.loads(sign_raw(es256_key, cbor2.dumps(claims_map()))).value)
    assert_agree(verifier, wrap(untagged), NOW, monkeypatch, fast_taken=True)
    # An impostor sharing the kid comes first; the real key still verifies.
    impostor = codes.TrustedKey.from_spki(eddsa_key.spki, valid_from=NOW - timedelta(days=1),
                                          kid=es256_key.kid)
    shared = codes.Verifier(trust_list=[impostor, trusted(es256_key)])
    assert_agree(shared, text, NOW, monkeypatch, fast_taken=True)
    # The pipeline accepts these; the fast path leaves them to it.
    kid_unprotected = sign_raw(es256_key, cbor2.dumps(claims_map()), protected={1: -7},
                               unprotected={4: es256_key.kid})
    assert assert_agree(verifier, wrap(kid_unprotected), NOW, monkeypatch,
                        fast_taken=False).valid


# -- refused codes: the fast path defers, the pipeline's reason is returned --------------
def signed(key, payload: bytes, **kw) -> str:
    return wrap(sign_raw(key, payload, **kw))


def refused_codes(es256_key) -> list[tuple[str, str]]:
    claims = cbor2.dumps(claims_map())
    nested = b"\xa7" + claims[1:] + b"\x18\x63" + b"\x81" * 40 + b"\x01"
    good, cose = issue(es256_key), sign_raw(es256_key, claims)
    return [
        ("bad_prefix", "HC2:" + good[4:]), ("too_large", "TG1:" + "0" * 5000),
        ("bad_base45", good[:-1] + "a"), ("bad_compression", "TG1:" + base45.b45encode(
            b"not zlib at all").decode()),
        ("bad_compression", "TG1:" + base45.b45encode(
            zlib.compress(sign_raw(es256_key, claims))[:-4]).decode()),
        ("too_large", wrap(b"\x00" * 100_000)),
        ("bad_cose", wrap(b"\x81" * 40 + b"\x01")), ("bad_cose", wrap(b"\xd2\x83\x40\xa0\x40")),
        ("bad_algorithm", signed(es256_key, claims, protected={4: es256_key.kid},
                                 unprotected={1: -7})),
        ("expired", issue(es256_key, at=NOW - timedelta(hours=1))),
        ("not_yet_valid", issue(es256_key, at=NOW + timedelta(hours=1))),
        ("revoked", issue(es256_key, code_id=b"revoked!")),
        ("bad_claims", signed(es256_key, claims + b"\x00")),
        ("bad_claims", signed(es256_key, nested)),
        ("bad_claims", signed(es256_key, cbor2.dumps({**claims_map(), 6: True}))),
        ("bad_claims", signed(es256_key, cbor2.dumps(claims_map(c="x")))),
        ("bad_claims", signed(es256_key, cbor2.dumps(claims_map(n=5)))),
        ("bad_claims", signed(es256_key, cbor2.dumps({**claims_map(), 4: 253_402_300_800}))),
        ("bad_claims", signed(es256_key, cbor2.dumps([1, 2]))),
        ("bad_signature", wrap(cose[:-1] + bytes((cose[-1] ^ 1,)))),
    ]


def test_refusals_come_from_the_pipeline(es256_key, lists, monkeypatch):
    revocations = codes.build_revocation_list([b"revoked!"], issued_at=NOW)
    verifier = codes.Verifier(trust_list=lists["fresh"], revocations=revocations)
    for reason, text in refused_codes(es256_key):
        assert assert_agree(verifier, text, NOW, monkeypatch, fast_taken=False).reason == reason
    for trust_list, reason in ((lists["stale"], "trust_list_stale"),
                               ([trusted(es256_key, valid_from=NOW + timedelta(days=1))],
                                "key_not_valid"),
                               ([trusted(es256_key, kinds=("paper",))], "kind_not_allowed"),
                               ([], "unknown_kid")):
        verifier = codes.Verifier(trust_list=trust_list)
        verdict = assert_agree(verifier, issue(es256_key), NOW, monkeypatch, fast_taken=False)
        assert verdict.reason == reason
    for text in (None, 12, b"TG1:", "", "TG1:"):
        assert not assert_agree(verifier, text, NOW, monkeypatch, fast_taken=False).valid


def test_random_mutations_agree(es256_key, lists, monkeypatch):
    rnd = random.Random(1952)
    verifier = codes.Verifier(trust_list=lists["fresh"])
    text = issue(es256_key)
    message = zlib.decompress(base45.b45decode(text[4:]))
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:a"
    for _ in range(150):
        i = rnd.randrange(4, len(text))
        assert_agree(verifier, text[:i] + rnd.choice(alphabet) + text[i + 1:], NOW, monkeypatch)
    for _ in range(150):
        i = rnd.randrange(len(message))
        mutated = message[:i] + bytes((rnd.randrange(256),)) + message[i + 1:]
        assert_agree(verifier, wrap(mutated), NOW, monkeypatch)


# -- the hand-written pieces the fast path uses -------------------------------------------
def test_der_signature_matches_encode_dss_signature():
    halves = [bytes(32), b"\x00" * 31 + b"\x01", b"\x80" + bytes(31), b"\x7f" * 32,
              b"\x00\x80" + bytes(30), b"\xff" * 32]
    samples = [a + b for a in halves for b in halves] + [os.urandom(64) for _ in range(500)]
    for sig in samples:
        expected = encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                        int.from_bytes(sig[32:], "big"))
        assert der_signature(sig) == expected


def test_valid_verdict_is_the_dataclass_verdict():
    args = ({"iss": "TG"}, ("trust_list_old",), "TG1", "ab", "ES256", TG_CHECKS)
    built = valid_verdict(*args)
    en, zh = codes.message("ok"), codes.message("ok", "zh")
    expected = Verdict(True, "ok", en, zh, args[0], args[1], "TG1", "ab", "ES256", "", TG_CHECKS)
    assert built == expected and built.to_dict() == expected.to_dict()
    with pytest.raises(AttributeError):
        built.valid = False


def test_verify_code_memo_keeps_objects_apart(es256_key, lists):
    # The memo is cleared whole when full: start empty, so earlier tests in this process
    # (any order under pytest-xdist) cannot fill it to the brim mid-test.
    api._VERIFIERS.clear()
    policy = codes.Policy()
    revocations = codes.build_revocation_list([], issued_at=NOW)
    first = api._verifier(lists["fresh"], None, None, policy)
    assert api._verifier(lists["fresh"], None, None, policy) is first
    assert api._verifier(lists["fresh"], [], None, policy) is first
    for other in (api._verifier(lists["fresh"], None, revocations, policy),
                  api._verifier(lists["old"], None, None, policy),
                  api._verifier(lists["fresh"], None, None, codes.Policy())):
        assert other is not first
    assert api._verifier(lists["fresh"], None, None, policy) is first
    text = issue(es256_key, code_id=b"revoked!")
    assert codes.verify_code(text, trust_list=lists["fresh"], at=NOW, policy=policy).valid
    listed = codes.build_revocation_list([b"revoked!"], issued_at=NOW)
    assert codes.verify_code(text, trust_list=lists["fresh"], revocations=listed, at=NOW,
                             policy=policy).reason == "revoked"
