"""The wire format: signatures, AES framing and safe XML parsing, built on wechatpy.

Layers, as in wechatpy: the cipher (wechatpy's ``WeChatCipher``) → the framing (random
16 bytes, network-order length, XML, AppId, PKCS#7 to 32 bytes — checked strictly here,
since wechatpy's own decoder does not check padding) → the XML message.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import struct
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml import ElementTree as DefusedET
from wechatpy.crypto.base import WeChatCipher
from wechatpy.events import EVENT_TYPES
from wechatpy.messages import MESSAGE_TYPES, BaseMessage, UnknownMessage
from wechatpy.utils import WeChatSigner

from bot.channels.wechat.errors import CallbackRejected

MAX_BODY = 64 * 1024
BLOCK = 32


def sign(*parts: str) -> str:
    """WeChat's SHA-1 signature over the sorted parts (token, timestamp, nonce[, encrypt])."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def signature_ok(expected: str, given: str) -> bool:
    """Constant-time comparison of two hex signatures."""
    return hmac.compare_digest(expected.encode(), (given or "").encode())


def parse_xml(raw: bytes | str) -> dict[str, Any]:
    """Parse a WeChat XML document to a dict (nested for nested elements), refusing DTDs
    and entities.

    The shape is xmltodict's, which wechatpy's message classes read: text stripped,
    ``None`` for an empty element, a list for a repeated one. It is built here on
    defusedxml's ElementTree parser (expat, fetching nothing external) with DTDs
    forbidden: the parser itself refuses a ``<!DOCTYPE`` wherever it stands and whatever
    comments or CDATA surround it — no text filter to get around — and so no entity can
    be declared or expanded.

    Raises:
        CallbackRejected: 400 ``xml_entities`` or ``bad_xml``.
    """
    data = raw.encode() if isinstance(raw, str) else raw
    try:
        root = DefusedET.fromstring(data, forbid_dtd=True)
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden) as err:
        raise CallbackRejected(400, "xml_entities") from err
    except (ElementTree.ParseError, ValueError) as err:  # expat errors, bad encodings
        raise CallbackRejected(400, "bad_xml") from err
    value = _element_value(root)
    if root.tag != "xml" or not isinstance(value, dict):
        raise CallbackRejected(400, "bad_xml")
    return value


def _element_value(element: ElementTree.Element) -> Any:
    children = list(element)
    if not children:
        text = (element.text or "").strip()
        return text or None
    out: dict[str, Any] = {}
    for child in children:
        value = _element_value(child)
        if child.tag not in out:
            out[child.tag] = value
        elif isinstance(out[child.tag], list):
            out[child.tag].append(value)
        else:
            out[child.tag] = [out[child.tag], value]
    return out


def to_message(fields: Mapping[str, Any]) -> BaseMessage:
    """A wechatpy message or event object from parsed fields (as ``parse_message`` does).

    Raises:
        CallbackRejected: 400 ``missing_fields`` when MsgType or FromUserName is absent.
    """
    message = dict(fields)
    msg_type = message.get("MsgType")
    if not isinstance(msg_type, str) or not isinstance(message.get("FromUserName"), str):
        raise CallbackRejected(400, "missing_fields")
    msg_type = msg_type.lower()
    if msg_type != "event":
        return MESSAGE_TYPES.get(msg_type, UnknownMessage)(message)
    event = str(message.get("Event") or "").lower()
    key = message.get("EventKey")
    if event == "subscribe" and isinstance(key, str) and key.startswith("qrscene_"):
        event = message["Event"] = "subscribe_scan"
        message["EventKey"] = key[len("qrscene_"):]
    return EVENT_TYPES.get(event, UnknownMessage)(message)


class Envelope:
    """AES framing of one Official Account (the same on both sides of the wire)."""

    def __init__(self, aes_key: str, app_id: str) -> None:
        try:
            key = base64.b64decode(aes_key + "=", validate=True)
        except binascii.Error:
            key = b""
        if len(key) != 32:
            raise ValueError("EncodingAESKey must be 43 base64 characters (32 bytes)")
        self.key = key
        self.app_id = app_id
        self._cipher = WeChatCipher(key)  # reusable: each call makes its own context

    def seal(self, xml: str, *, app_id: str | None = None) -> str:
        """Encrypt ``xml`` for the wire; ``app_id`` overrides the trailing id (tests)."""
        body = xml.encode()
        frame = os.urandom(16) + struct.pack(">I", len(body)) + body
        frame += (app_id if app_id is not None else self.app_id).encode()
        pad = BLOCK - len(frame) % BLOCK
        frame += bytes([pad]) * pad
        return base64.b64encode(self._cipher.encrypt(frame)).decode()

    def open(self, encrypted: str) -> str:
        """Decrypt and unframe; the AppId inside must be ours.

        Raises:
            CallbackRejected: 400 ``bad_ciphertext``, ``bad_padding``, ``bad_frame`` or
            ``bad_appid``.
        """
        try:
            raw = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as err:
            raise CallbackRejected(400, "bad_ciphertext") from err
        if not raw or len(raw) % 16:
            raise CallbackRejected(400, "bad_ciphertext")
        plain = self._cipher.decrypt(raw)
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise CallbackRejected(400, "bad_padding")
        content = plain[16:-pad]
        if len(content) < 4:
            raise CallbackRejected(400, "bad_frame")
        (length,) = struct.unpack(">I", content[:4])
        if length > len(content) - 4:
            raise CallbackRejected(400, "bad_frame")
        if not hmac.compare_digest(content[4 + length:], self.app_id.encode()):
            raise CallbackRejected(400, "bad_appid")
        try:
            return content[4:4 + length].decode()
        except UnicodeDecodeError as err:
            raise CallbackRejected(400, "bad_frame") from err


def encrypted_reply(envelope: Envelope, token: str, xml: str, nonce: str,
                    timestamp: str) -> str:
    """The ``<xml><Encrypt>…`` document WeChat expects for an encrypted passive reply."""
    encrypt = envelope.seal(xml)
    signature = sign(token, timestamp, nonce, encrypt)
    return (f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
            f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>")
