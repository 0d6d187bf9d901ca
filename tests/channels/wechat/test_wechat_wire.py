"""Wire layer: signatures, AES framing (interoperable with wechatpy), safe XML."""

from __future__ import annotations

import base64
import secrets

import pytest
from wechatpy.crypto import WeChatCrypto
from wechatpy.crypto.base import WeChatCipher

import bot.channels.wechat as package
from bot.channels.wechat.errors import CallbackRejected
from bot.channels.wechat.wire import Envelope, encrypted_reply, parse_xml, sign, to_message

AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")
APP_ID = "wx0123456789abcdef"


def test_public_names_exist() -> None:
    for name in package.__all__:
        assert hasattr(package, name), name


def test_sign_matches_wechatpy_rule() -> None:
    from wechatpy.utils import check_signature

    check_signature("tok", sign("tok", "1700000000", "42"), "1700000000", "42")


def test_envelope_interoperates_with_wechatpy() -> None:
    env = Envelope(AES_KEY, APP_ID)
    crypto = WeChatCrypto("tok", AES_KEY, APP_ID)
    reply = crypto.encrypt_message("<xml><A>1</A></xml>", "nonce", "1700000000")
    encrypt = parse_xml(reply)["Encrypt"]
    assert env.open(encrypt) == "<xml><A>1</A></xml>"
    ours = encrypted_reply(env, "tok", "<xml><B>通</B></xml>", "n", "1700000000")
    fields = parse_xml(ours)
    assert crypto.decrypt_message(ours, fields["MsgSignature"], "1700000000", "n") == \
        "<xml><B>通</B></xml>"


def test_wrong_app_id_is_refused() -> None:
    sealed = Envelope(AES_KEY, "wxSOMEONEELSE0000").seal("<xml/>")
    with pytest.raises(CallbackRejected) as info:
        Envelope(AES_KEY, APP_ID).open(sealed)
    assert info.value.event == "bad_appid"


@pytest.mark.parametrize("tail", [b"\x00", b"\x21", b"\x05"])
def test_bad_padding_is_refused(tail: bytes) -> None:
    key = base64.b64decode(AES_KEY + "=")
    frame = secrets.token_bytes(16) + b"\x00\x00\x00\x06<xml/>" + APP_ID.encode()
    frame += b"\x01" * (31 - len(frame) % 32) + tail  # last byte claims a wrong padding
    raw = base64.b64encode(WeChatCipher(key).encrypt(frame[: len(frame) // 32 * 32])).decode()
    with pytest.raises(CallbackRejected) as info:
        Envelope(AES_KEY, APP_ID).open(raw)
    assert info.value.event in ("bad_padding", "bad_frame")


@pytest.mark.parametrize("blob", ["", "not base64!", base64.b64encode(b"short").decode()])
def test_garbage_ciphertext_is_refused(blob: str) -> None:
    with pytest.raises(CallbackRejected):
        Envelope(AES_KEY, APP_ID).open(blob)


@pytest.mark.parametrize("body", [
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "b">]><xml><A>&a;</A></xml>',
    b'<!doctype xml SYSTEM "http://evil.example/x.dtd"><xml/>',
    b'<xml><A>1</A></xml><!ENTITY x "y">',
])
def test_dtd_and_entities_are_refused(body: bytes) -> None:
    with pytest.raises(CallbackRejected) as info:
        parse_xml(body)
    # a DTD the parser reads is refused as such; one out of place is not XML at all
    assert info.value.event in ("xml_entities", "bad_xml")


@pytest.mark.parametrize("body", [b"<xml><A>1</xml>", b"", b"plain text", b"<other/>",
                                  b"\xff\xfe<xml/>"])
def test_malformed_xml_is_refused(body: bytes) -> None:
    with pytest.raises(CallbackRejected) as info:
        parse_xml(body)
    assert info.value.event == "bad_xml"


def test_cdata_text_may_mention_doctype() -> None:
    fields = parse_xml(b"<xml><Content><![CDATA[<!DOCTYPE is just text]]></Content></xml>")
    assert fields["Content"] == "<!DOCTYPE is just text"


def test_missing_fields_are_refused() -> None:
    with pytest.raises(CallbackRejected) as info:
        to_message({"FromUserName": "o1"})
    assert info.value.event == "missing_fields"


def test_qrscene_subscribe_becomes_scene_event() -> None:
    msg = to_message({"MsgType": "event", "Event": "subscribe", "FromUserName": "o",
                      "EventKey": "qrscene_decl:store-12", "CreateTime": "1"})
    assert msg.event == "subscribe_scan" and msg.scene_id == "decl:store-12"
