"""The proxy (代报) claim, and EU DCC signer certificates from a trust-list file."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import cbor2
import pytest
from codes_support import NOW, issue, trusted
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

import codes
from codes import envelope
from codes.claims import Claim
from tests.dcc_support import around, make_dsc, sign_hc1

CTI = bytes(range(8))


# -- proxy claim --------------------------------------------------------------------------
def test_proxy_round_trip(es256_key, trust_list):
    text = issue(es256_key, proxy=True)
    verdict = codes.verify_code(text, trust_list=trust_list, at=NOW)
    assert verdict.valid and verdict.claims["proxy"] is True
    _, sign1 = envelope.open_code(text)
    assert cbor2.loads(sign1.payload)[codes.TG_CLAIM][codes.PROXY_KEY] is True
    plain = codes.verify_code(issue(es256_key), trust_list=trust_list, at=NOW)
    assert plain.valid and plain.claims["proxy"] is False


def test_no_proxy_code_is_byte_identical_to_the_old_format(eddsa_key):
    """EdDSA signs deterministically: the same claims give the same text."""
    old_map = {Claim.ISS: "TG", Claim.SUB: "S7KQ2M4XW9PA", Claim.EXP: int(NOW.timestamp()) + 180,
               Claim.IAT: int(NOW.timestamp()), Claim.CTI: CTI,
               Claim.TG: {"c": "g", "k": "l", "n": "张*明", "r": "1"}}
    old = envelope.seal(old_map, eddsa_key)
    assert issue(eddsa_key, code_id=CTI, ttl=timedelta(seconds=180)) == old
    assert issue(eddsa_key, code_id=CTI, ttl=timedelta(seconds=180), proxy=True) != old


def test_issue_code_proxy_is_keyword_only_with_default_false():
    import inspect

    param = inspect.signature(codes.issue_code).parameters["proxy"]
    assert param.kind is inspect.Parameter.KEYWORD_ONLY and param.default is False


@pytest.mark.parametrize("value", [False, 1, "y", b"\x01"])
def test_a_proxy_marker_other_than_true_is_bad_claims(es256_key, trust_list, value):
    claims = {1: "TG", 2: "S7KQ2M4XW9PA", 4: int(NOW.timestamp()) + 180,
              6: int(NOW.timestamp()), 7: CTI,
              codes.TG_CLAIM: {"c": "g", "k": "l", "n": "张*明", "r": "1", "p": value}}
    text = envelope.seal(claims, es256_key)
    verdict = codes.verify_code(text, trust_list=trust_list, at=NOW)
    assert verdict.reason == "bad_claims"


def test_fast_path_and_pipeline_agree_on_proxy(es256_key):
    verifier = codes.Verifier(trust_list=codes.build_trust_list(
        [trusted(es256_key)], issued_at=NOW - timedelta(hours=1)))
    text = issue(es256_key, proxy=True)
    fast = verifier.verify(text, at=NOW)
    assert verifier.fast_verdicts == 1 and fast.claims["proxy"] is True
    pipeline_only = codes.Verifier(trust_list=verifier.trust_list)
    pipeline_only._fast_keys = {}  # no key for the fast path: the named checks decide
    assert pipeline_only.verify(text, at=NOW) == fast and pipeline_only.fast_verdicts == 0


# -- DCC trust-list file ------------------------------------------------------------------
@pytest.fixture(scope="module")
def dscs():
    times = around(NOW)
    es = make_dsc(not_before=times["not_before"], not_after=times["not_after"], name="ES")
    ps = make_dsc(alg="PS256", not_before=times["not_before"], not_after=times["not_after"],
                  name="PS", ekus=["1.3.6.1.4.1.1847.2021.1.1"])
    return {"es": es, "ps": ps, "times": times}


def pem(der: bytes) -> bytes:
    return x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM)


def test_trust_file_forms(dscs):
    es, ps = dscs["es"][1], dscs["ps"][1]
    assert codes.load_dcc_certificates(pem(es) + b"junk\n" + pem(ps)) == [es, ps]
    assert codes.load_dcc_certificates(es) == [es]
    b64 = [base64.b64encode(d).decode() for d in (es, ps)]
    assert codes.load_dcc_certificates(json.dumps(b64)) == [es, ps]
    gateway = {"certificates": [
        {"certificateType": "DSC", "country": "DE", "kid": base64.b64encode(codes.dcc_kid(es))
         .decode(), "rawData": b64[0]},
        {"certificate": pem(ps).decode()}, {"der": b64[0]}]}
    assert codes.load_dcc_certificates(json.dumps(gateway)) == [es, ps]  # duplicates dropped
    assert codes.load_dcc_certificates(b"") == []


@pytest.mark.parametrize(("content", "words"), [
    (b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "no CERTIFICATE"),
    (b"\x30\x03\x02\x01\x01", "not an X.509"),
    (b"[1]", r"certificates\[0\]"),
    (b'{"certificates": [{"rawData": "!!"}]}', "not valid base64"),
    (b'{"certs": []}', "must be a list"),
    (b"[", "not valid JSON"),
])
def test_bad_trust_files_name_the_problem(content, words):
    with pytest.raises(codes.SigningKeyError, match=words):
        codes.load_dcc_certificates(content)


def test_wrong_kid_in_trust_file(dscs):
    es = dscs["es"][1]
    doc = [{"kid": base64.b64encode(b"\0" * 8).decode(),
            "rawData": base64.b64encode(es).decode()}]
    with pytest.raises(codes.SigningKeyError, match="kid"):
        codes.load_dcc_certificates(json.dumps(doc))


def test_signed_dcc_list_round_trip_and_verify(dscs, list_signer):
    (es_key, es), (ps_key, ps), times = dscs["es"], dscs["ps"], dscs["times"]
    text = codes.sign_dcc_trust_list([es, ps], list_signer, issued_at=NOW)
    payload = json.loads(text)["payload"]
    assert payload["type"] == "tongguan-dcc-trust-list"
    assert [s["alg"] for s in payload["signers"]] == ["ES256", "PS256"]
    assert payload["signers"][1]["types"] == ["t"]
    certs = codes.load_dcc_trust_list(text, signer_public_key=list_signer.spki, at=NOW)
    assert certs == [es, ps]
    hc1 = sign_hc1(es_key, es, iat=times["iat"], exp=times["exp"])
    verdict = codes.verify_code(hc1, trusted_certs=certs, at=NOW)
    assert verdict.valid and verdict.format == "HC1" and verdict.claims["type"] == "vaccination"
    test = sign_hc1(ps_key, ps, iat=times["iat"], exp=times["exp"], cert_type="t", alg="PS256",
                    kid_in="unprotected")
    assert codes.verify_code(test, trusted_certs=certs, at=NOW).valid
    refused = sign_hc1(ps_key, ps, iat=times["iat"], exp=times["exp"], cert_type="v",
                       alg="PS256")
    assert codes.verify_code(refused, trusted_certs=certs, at=NOW).reason == "kind_not_allowed"
    with pytest.raises(codes.SignedListError, match="expired"):
        codes.load_dcc_trust_list(text, signer_public_key=list_signer.spki,
                                  at=NOW + timedelta(days=4))
    tampered = text.replace(payload["signers"][0]["kid"], base64.b64encode(b"\1" * 8).decode())
    with pytest.raises(codes.SignedListError):
        codes.load_dcc_trust_list(tampered, signer_public_key=list_signer.spki)
