"""The hand-written fast paths agree with the libraries they stand in for."""

from __future__ import annotations

import os
import random

import base45
import cbor2
import pytest
import qrcode
from codes_support import NOW, issue, trusted
from qrcode.util import MODE_ALPHA_NUM, QRData, lost_point

import codes
from codes import api, envelope, qrmask
from codes.b45 import b45decode
from codes.claims import from_epoch, iso_utc

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
LEVELS = [qrcode.constants.ERROR_CORRECT_Q] * 3 + [
    qrcode.constants.ERROR_CORRECT_L, qrcode.constants.ERROR_CORRECT_M,
    qrcode.constants.ERROR_CORRECT_H]


def test_mask_penalties_equal_qrcode_lost_point():
    rnd = random.Random(18004)
    for _ in range(40):
        text = "".join(rnd.choice(ALNUM) for _ in range(rnd.choice([1, 9, 40, 120, 252, 400, 700])))
        qr = qrcode.QRCode(error_correction=rnd.choice(LEVELS))
        qr.add_data(QRData(text, mode=MODE_ALPHA_NUM))
        qr.best_fit()
        expected = []
        for mask in qrmask.MASKS:
            qr.makeImpl(True, mask)
            expected.append(lost_point(qr.modules))
        assert qrmask.mask_penalties(qr) == expected, qr.version
        assert qrmask.best_mask(qr) == qr.best_mask_pattern()


def test_built_symbol_is_the_one_qrcode_builds(es256_key):
    for _ in range(5):
        text = issue(es256_key)
        ours = codes.qr.build_qr(text)
        theirs = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, border=4)
        theirs.add_data(QRData(text, mode=MODE_ALPHA_NUM))
        theirs.make(fit=True)
        assert ours.version == theirs.version <= codes.qr.TARGET_MAX_VERSION
        assert ours.get_matrix() == theirs.get_matrix()


def test_base45_matches_the_package_on_random_text():
    rnd = random.Random(9285)
    for _ in range(3000):
        text = "".join(rnd.choice(ALNUM) for _ in range(rnd.randint(0, 14)))
        try:
            expected = base45.b45decode(text)
        except ValueError:
            with pytest.raises(ValueError):
                b45decode(text)
        else:
            assert b45decode(text) == expected
    data = os.urandom(3000)
    assert b45decode(base45.b45encode(data).decode()) == data


@pytest.mark.parametrize("length", [0, 1, 23, 24, 255, 256, 65535, 65536])
def test_sig_structure_matches_cbor2(length):
    sign1 = envelope.Sign1(b"\xa1\x01\x26", {1: -7}, {}, b"p" * length, b"s" * 64)
    expected = cbor2.dumps(["Signature1", b"\xa1\x01\x26", b"", b"p" * length])
    assert sign1.to_be_signed() == expected
    assert envelope.Sign1(b"", {}, {}, b"", b"").to_be_signed() == cbor2.dumps(
        ["Signature1", b"", b"", b""])


def test_cached_protected_header_is_a_copy(es256_key):
    text = issue(es256_key)
    _, first = codes.open_code(text)
    first.protected[1] = 999
    _, second = codes.open_code(text)
    assert second.alg == -7


def test_iso_utc_matches_datetime():
    rnd = random.Random(8601)
    for value in [0, -1, 86399, 86400, 1709280000] + [
            rnd.randint(-62135596800, 253402300799) for _ in range(5000)]:
        assert iso_utc(value) == from_epoch(value).isoformat()


def test_verify_code_reuses_a_verifier_for_the_same_lists(es256_key):
    trust_list = codes.build_trust_list([trusted(es256_key)], issued_at=NOW)
    text = issue(es256_key)
    assert codes.verify_code(text, trust_list=trust_list, at=NOW).valid
    policy = codes.Policy()
    first = api._verifier(trust_list, None, None, policy)
    assert api._verifier(trust_list, None, None, policy) is first
    assert api._verifier(trust_list, None, None, codes.Policy()) is not first
    other = codes.build_trust_list([trusted(es256_key)], issued_at=NOW)
    assert api._verifier(other, None, None, policy) is not first


def test_a_plain_key_list_is_read_on_every_call(es256_key, eddsa_key):
    keys = [trusted(eddsa_key)]
    text = issue(es256_key)
    assert codes.verify_code(text, trust_list=keys, at=NOW).reason == "unknown_kid"
    keys.append(trusted(es256_key))
    assert codes.verify_code(text, trust_list=keys, at=NOW).valid
