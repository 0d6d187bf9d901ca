"""Public API, round trips and name masking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from codes_support import NOW, issue

import codes


def test_every_name_in_all_exists():
    missing = [name for name in codes.__all__ if not hasattr(codes, name)]
    assert missing == []
    assert {"issue_code", "verify_code", "Verdict"} <= set(codes.__all__)


@pytest.mark.parametrize("key_fixture,alg", [("es256_key", "ES256"), ("eddsa_key", "EdDSA")])
def test_round_trip(request, trust_list, key_fixture, alg):
    key = request.getfixturevalue(key_fixture)
    text = issue(key, color="yellow", kind="paper", masked_name="J* S*h")
    assert text.startswith("TG1:")
    verdict = codes.verify_code(text, trust_list=trust_list, at=NOW + timedelta(minutes=5))
    assert verdict.valid, verdict
    assert verdict.reason == "ok" and verdict.alg == alg and verdict.format == "TG1"
    assert verdict.kid == key.kid.hex()
    claims = verdict.claims
    assert claims["color"] == "yellow" and claims["kind"] == "paper"
    assert claims["masked_name"] == "J* S*h" and claims["sub"] == "S7KQ2M4XW9PA"
    assert claims["iss"] == "TG" and claims["rules_version"] == "1"
    assert claims["exp"] == (NOW + timedelta(hours=24)).isoformat()
    assert verdict.checks == tuple(codes.CHECKS["TG1"])


def test_verdict_messages_in_both_languages(es256_key, trust_list):
    verdict = codes.verify_code(issue(es256_key), trust_list=trust_list, at=NOW)
    assert verdict.message_in("zh") == "有效码。"
    assert verdict.to_dict()["message"] == "Valid code."


def test_code_id_is_kept(es256_key, trust_list):
    code_id = codes.new_code_id()
    verdict = codes.verify_code(issue(es256_key, code_id=code_id), trust_list=trust_list, at=NOW)
    assert verdict.claims["cti"] == code_id.hex()


@pytest.mark.parametrize("kwargs,fragment", [
    ({"color": "blue"}, "colour"),
    ({"kind": "tattoo"}, "kind"),
    ({"ttl": timedelta(days=8)}, "ttl"),
    ({"ttl": timedelta(0)}, "ttl"),
    ({"subject": "11010519491231002X"}, "ID number"),
    ({"subject": ""}, "subject"),
    ({"masked_name": ""}, "masked name"),
])
def test_issue_refuses_bad_arguments(es256_key, kwargs, fragment):
    with pytest.raises(codes.IssueError, match=fragment):
        issue(es256_key, **kwargs)


def test_issue_refuses_naive_time(es256_key):
    with pytest.raises(codes.IssueError):
        issue(es256_key, at=NOW.replace(tzinfo=None))


@pytest.mark.parametrize("name,masked", [
    ("张三明", "张*明"), ("张三", "张*"), ("欧阳娜娜", "欧*娜"), ("王", "王"),
    ("John Smith", "J* S*h"), ("Madonna", "M*a"), ("  Anna  Maria Li ", "A* M* L*"), ("", ""),
])
def test_mask_name(name, masked):
    assert codes.mask_name(name) == masked


def test_reason_codes_have_both_messages():
    for reason in codes.Reason:
        assert codes.message(reason, "en") and codes.message(reason, "zh")
        assert codes.message(reason, "en") != codes.message(reason, "zh")


def test_fast_base45_matches_the_package():
    import os

    import base45

    from codes.b45 import b45decode
    for n in range(0, 200):
        data = os.urandom(n)
        assert b45decode(base45.b45encode(data).decode()) == data
    for bad in ("A", "GGW", "abc", "ÄB", "::::", "ZZZZ"):
        with pytest.raises(ValueError):
            base45.b45decode(bad)
        with pytest.raises(ValueError):
            b45decode(bad)
