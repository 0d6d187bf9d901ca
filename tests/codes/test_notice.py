"""Resumption notices (``TGN1:``): round trip, refusals, and the wall between a notice and
a health code, checked in both directions and after re-labelling the prefix."""

from __future__ import annotations

import zlib
from datetime import date, timedelta

import base45
import cbor2
import pytest
from codes_support import NOW, issue, sign_raw, trusted, wrap
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import codes
from codes.b45 import b45decode

NOTICE = {"notice_no": "JIANGAN-00012", "firm_name": "江城精密制造有限公司",
          "uscc": "91350100M000100Y43", "district": "江岸区 Jiang'an",
          "approved_on": date(2024, 2, 29)}


def notice(key: codes.SigningKey, **kw) -> str:
    args = {"key": key, "at": NOW, "expires_at": NOW + timedelta(days=30), **NOTICE}
    args.update(kw)
    return codes.issue_notice(**args)


def relabel(text: str, prefix: str) -> str:
    """The same signed body under another (unsigned) prefix."""
    return prefix + text.split(":", 1)[1]


def notice_map(over: dict | None = None) -> dict:
    body = {"n": "JIANGAN-00012", "f": "江城精密", "u": "91350100M000100Y43", "d": "江岸区",
            "a": "2024-02-29"}
    data = {1: "TG", 4: int(NOW.timestamp()) + 600, 6: int(NOW.timestamp()),
            7: b"12345678", -70001: body}
    data.update(over or {})
    return data


def test_round_trip(es256_key, eddsa_key, trust_list):
    for key in (es256_key, eddsa_key):
        text = notice(key, code_id=b"\x01" * 8)
        assert text.startswith("TGN1:")
        verdict = codes.verify_notice(text, trust_list=trust_list, at=NOW)
        assert verdict.valid and verdict.reason == "ok" and verdict.format == "TGN1"
        assert verdict.message == "Valid resumption notice." and "复工通知" in verdict.message_zh
        assert verdict.checks == tuple(codes.CHECKS["TGN1"])
        assert verdict.claims == {
            "type": "resumption_notice", "iss": "TG", "iat": NOW.isoformat(),
            "exp": (NOW + timedelta(days=30)).isoformat(), "cti": "01" * 8,
            "notice_no": "JIANGAN-00012", "firm_name": "江城精密制造有限公司",
            "uscc": "91350100M000100Y43", "district": "江岸区 Jiang'an",
            "approved_on": "2024-02-29"}
        # the any-type entry of the checkpoint and /api/v1/verify takes it as well
        verifier = codes.Verifier(trust_list=trust_list)
        assert verifier.verify_any(text, at=NOW).claims == verdict.claims


def test_same_arguments_same_claims(es256_key, trust_list):
    first, second = notice(es256_key, code_id=b"x" * 8), notice(es256_key, code_id=b"x" * 8)
    assert first != second  # ECDSA signatures differ...
    claims = [cbor2.loads(codes.open_code(t)[1].payload) for t in (first, second)]
    assert claims[0] == claims[1]  # ...the claims do not


def test_fits_a_printable_qr(es256_key):
    name = "武汉江城精密机械制造有限责任公司第二分公司汉口华中区域生产基地暨物流配送中心与研发"
    text = notice(es256_key, firm_name=name[:codes.notice.MAX_FIRM_NAME])
    assert codes.qr_version(text) <= 20


def test_tampered_is_bad_signature(es256_key, trust_list):
    text = notice(es256_key)
    sign1 = codes.open_code(text)[1]
    claims = cbor2.loads(sign1.payload)
    claims[-70001]["f"] = "别家公司"
    forged = wrap(cbor2.dumps(cbor2.CBORTag(18, [sign1.protected_bytes, {},
                                                 cbor2.dumps(claims), sign1.signature])),
                  prefix="TGN1:")
    verdict = codes.verify_notice(forged, trust_list=trust_list, at=NOW)
    assert verdict.reason == "bad_signature" and not verdict.claims


def test_expired_and_not_yet_valid(es256_key, trust_list):
    text = notice(es256_key)
    exp = NOW + timedelta(days=30)
    assert codes.verify_notice(text, trust_list=_fresh(trust_list, exp), at=exp
                               + timedelta(seconds=60)).valid
    late = codes.verify_notice(text, trust_list=_fresh(trust_list, exp),
                               at=exp + timedelta(seconds=61))
    assert late.reason == "expired" and late.format == "TGN1"
    early = codes.verify_notice(text, trust_list=trust_list, at=NOW - timedelta(minutes=5))
    assert early.reason == "not_yet_valid"


def _fresh(trust_list: codes.TrustList, at) -> codes.TrustList:
    return codes.build_trust_list(trust_list.keys, issued_at=at - timedelta(hours=1))


def test_a_notice_is_not_a_health_code(es256_key, trust_list):
    text = notice(es256_key)
    verdict = codes.verify_code(text, trust_list=trust_list, at=NOW)
    assert verdict.reason == "not_a_health_code" and not verdict.valid
    assert verdict.format == "TGN1" and verdict.message == ("This is a resumption notice, "
                                                            "not a health code.")
    # re-labelled TG1: the signature holds, the signed claims say "notice"
    verdict = codes.verify_code(relabel(text, "TG1:"), trust_list=trust_list, at=NOW)
    assert verdict.reason == "not_a_health_code" and not verdict.claims
    assert "signature" in verdict.checks


def test_a_health_code_is_not_a_notice(es256_key, trust_list):
    code = issue(es256_key)
    verdict = codes.verify_notice(code, trust_list=trust_list, at=NOW)
    assert verdict.reason == "not_a_notice" and verdict.format == "TG1"
    assert "not a resumption notice" in verdict.message
    verdict = codes.verify_notice(relabel(code, "TGN1:"), trust_list=trust_list, at=NOW)
    assert verdict.reason == "not_a_notice" and "signature" in verdict.checks
    verdict = codes.verify_notice("HC1:NCF5", trust_list=trust_list, at=NOW)
    assert verdict.reason == "not_a_notice"
    # verify_any goes by the prefix, and the signed claims still decide
    verifier = codes.Verifier(trust_list=trust_list)
    assert verifier.verify_any(code, at=NOW).valid
    assert verifier.verify_any(relabel(code, "TGN1:"), at=NOW).reason == "not_a_notice"


def test_claims_with_both_private_claims_are_neither(es256_key, trust_list):
    both = notice_map({-70000: {"c": "g", "k": "l", "n": "张*明", "r": "1"}, 2: "S7KQ2M4XW9PA"})
    cose = sign_raw(es256_key, cbor2.dumps(both))
    verifier = codes.Verifier(trust_list=trust_list)
    assert verifier.verify(wrap(cose), at=NOW).reason == "not_a_health_code"
    assert verifier.fast_verdicts == 0  # the fast path does not take it either
    assert verifier.verify_notice(wrap(cose, "TGN1:"), at=NOW).reason == "not_a_notice"


@pytest.mark.parametrize("claims", [
    notice_map({-70001: "not a map"}),
    notice_map({-70001: {"n": "X", "f": "Y", "u": "Z", "d": "W"}}),  # no approval date
    notice_map({-70001: {"n": "X", "f": "Y", "u": "Z", "d": "W", "a": "2024-02-30"}}),
    notice_map({-70001: {"n": 1, "f": "Y", "u": "Z", "d": "W", "a": "2024-02-29"}}),
    notice_map({4: True}), notice_map({7: "text id"}), {1: "TG"}, [1, 2, 3],
])
def test_malformed_claims(claims, es256_key, trust_list):
    text = wrap(sign_raw(es256_key, cbor2.dumps(claims)), "TGN1:")
    assert codes.verify_notice(text, trust_list=trust_list, at=NOW).reason == "bad_claims"


def test_key_window_kind_and_revocation(es256_key, trust_list):
    text = notice(es256_key, code_id=b"n" * 8)
    live_only = [trusted(es256_key, kinds=("live",))]
    verdict = codes.verify_notice(text, trust_list=live_only, at=NOW)
    assert verdict.reason == "kind_not_allowed" and "paper" in verdict.detail
    late_key = [trusted(es256_key, valid_from=NOW + timedelta(hours=1))]
    assert codes.verify_notice(text, trust_list=late_key, at=NOW).reason == "key_not_valid"
    revoked = codes.build_revocation_list([b"n" * 8], issued_at=NOW)
    assert codes.verify_notice(text, trust_list=trust_list, revocations=revoked,
                               at=NOW).reason == "revoked"
    assert codes.verify_notice(text, trust_list=[], at=NOW).reason == "unknown_kid"


@pytest.mark.parametrize(("change", "words"), [
    ({"uscc": "91350100M000100Y4I"}, "USCC"), ({"uscc": "123"}, "USCC"),
    ({"firm_name": ""}, "firm name"), ({"firm_name": "很" * 41}, "firm name"),
    ({"notice_no": " "}, "notice number"), ({"district": "d" * 33}, "district"),
    ({"expires_at": NOW}, "expiry"), ({"expires_at": NOW + timedelta(days=367)}, "366"),
    ({"at": NOW.replace(tzinfo=None)}, "timezone"), ({"approved_on": "2024-02-29"}, "date"),
])
def test_issue_refuses_bad_arguments(change, words, es256_key):
    with pytest.raises(codes.IssueError, match=words):
        notice(es256_key, **change)


def test_every_reason_has_both_messages():
    for reason in ("not_a_health_code", "not_a_notice", "ok_notice"):
        assert codes.message(reason, "zh") != reason and codes.message(reason) != reason


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400), st.sampled_from(["TGN1:", "TG1:", "HC1:", "TGN2:", ""]))
def test_decoder_fuzz_never_raises(data, prefix):
    """Arbitrary bytes, compressed or not, under any prefix: a verdict, never an error."""
    verifier = codes.Verifier(trust_list=[])
    for body in (data, zlib.compress(data)):
        text = prefix + base45.b45encode(body).decode()
        for verify in (verifier.verify_notice, verifier.verify_any, verifier.verify):
            verdict = verify(text, at=NOW)
            assert not verdict.valid and verdict.reason in codes.Reason.__members__.values()


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_notice_fuzz(data, es256_key, trust_list):
    """A real notice with bytes flipped, cut or added: valid only if untouched."""
    text = notice(es256_key, code_id=b"m" * 8)
    raw = bytearray(zlib.decompress(b45decode(text[5:])))
    pos = data.draw(st.integers(0, len(raw) - 1))
    op = data.draw(st.sampled_from(["flip", "cut", "add"]))
    if op == "flip":
        raw[pos] ^= data.draw(st.integers(1, 255))
    elif op == "cut":
        del raw[pos:]
    else:
        raw[pos:pos] = data.draw(st.binary(min_size=1, max_size=8))
    verdict = codes.verify_notice(wrap(bytes(raw), "TGN1:"), trust_list=trust_list, at=NOW)
    assert not verdict.valid and verdict.reason != "ok"
