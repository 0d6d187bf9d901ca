"""EU DCC (HC1:) verification against JSON vectors built from the hcert specification.

Vectors live in fixtures/dcc_vectors.json (regenerate with fixtures/make_dcc_vectors.py):
ES256 and PS256 signer certificates, with and without DCC extended key usage, kid in the
protected or the unprotected header.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

import codes

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "dcc_vectors.json")
                      .read_text(encoding="utf-8"))
CERTS = {name: base64.b64decode(der) for name, der in FIXTURES["certs"].items()}


@pytest.mark.parametrize("vector", FIXTURES["vectors"], ids=lambda v: v["name"])
def test_dcc_vector(vector):
    verdict = codes.verify_code(vector["hc1"], trusted_certs=[CERTS[vector["cert"]]],
                                at=datetime.fromisoformat(vector["at"]))
    assert verdict.reason == vector["expected"], verdict.detail
    assert verdict.format == "HC1"
    if vector["expected"] == "ok":
        assert verdict.valid
        assert verdict.claims["iss"] == "DE"
        assert verdict.claims["hcert"]["nam"]["fnt"] == "MUSTERMANN"
        assert verdict.claims["type"] in ("vaccination", "test", "recovery")


def test_every_certificate_variant_and_alg_is_covered():
    names = {v["name"] for v in FIXTURES["vectors"] if v["expected"] == "ok"}
    assert any("ps256" in n for n in names) and any("es256" in n for n in names)
    assert any("unprotected" in n for n in names)
    assert any(n.startswith("eku_") for n in names)


def test_pem_certificate_and_several_anchors():
    vector = FIXTURES["vectors"][0]
    der = CERTS[vector["cert"]]
    pem = x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM)
    verdict = codes.verify_code(vector["hc1"], trusted_certs=[CERTS["ps256_no_eku"], pem],
                                at=datetime.fromisoformat(vector["at"]))
    assert verdict.valid and verdict.alg == "ES256"


def test_dcc_without_anchor_is_unknown_kid():
    vector = FIXTURES["vectors"][0]
    verdict = codes.verify_code(vector["hc1"], at=datetime.fromisoformat(vector["at"]))
    assert verdict.reason == "unknown_kid"


def test_tg_trust_list_does_not_vouch_for_dcc(trust_list):
    vector = FIXTURES["vectors"][0]
    verdict = codes.verify_code(vector["hc1"], trust_list=trust_list,
                                at=datetime.fromisoformat(vector["at"]))
    assert verdict.reason == "unknown_kid"


def test_bad_certificate_is_a_caller_error():
    with pytest.raises(codes.SigningKeyError):
        codes.verify_code("HC1:X", trusted_certs=[b"not a certificate"])


def test_eku_table_covers_all_variants():
    for arc in ("1.3.6.1.4.1.1847.2021.1", "1.3.6.1.4.1.0.1847.2021.1", "0.4.0.127.0.7.3.1.1"):
        assert [codes.DCC_EKU[f"{arc}.{i}"] for i in (1, 2, 3)] == ["t", "v", "r"]
