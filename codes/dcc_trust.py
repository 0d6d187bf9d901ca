"""EU DCC signer certificates (DSCs): read a trust-list file, publish them as a signed list.

A checkpoint verifies ``HC1:`` codes against DSCs. The operator names one file holding
them (the server's ``dcc_trust_file`` setting); :func:`load_dcc_certificates` reads it in
any of these forms (docs/codes.md):

* PEM: one or more ``-----BEGIN CERTIFICATE-----`` blocks (other blocks are ignored);
* DER: one certificate;
* JSON: a list of entries, or ``{"certificates": [entries]}`` (the shape of the EU DCC
  gateway's trust list). An entry is a base64 DER string, a PEM string, or an object with
  the base64 DER under ``rawData`` (gateway), ``certificate`` or ``der``, and optionally
  ``kid`` (base64), which must equal SHA-256(DER)[:8].

The checkpoint page gets the certificates as a list signed like the trust list
(``{"payload", "signature"}``, type ``tongguan-dcc-trust-list``), with each signer's key,
kid, validity and allowed hcert types already read out, so the browser needs no X.509
parser.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from codes.algs import ALG_NAMES
from codes.claims import from_epoch
from codes.dcc import DccSigner
from codes.errors import SignedListError, SigningKeyError
from codes.keys import KID_LENGTH, SigningKey, TrustedKey
from codes.signed_list import b64, iso, open_document, parse_iso, sign_document, unb64

DCC_TRUST_LIST_TYPE = "tongguan-dcc-trust-list"
DCC_TRUST_LIST_LIFETIME = timedelta(hours=72)
_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


def dcc_kid(der: bytes) -> bytes:
    """The DCC kid of a signer certificate: SHA-256(DER)[:8]."""
    return hashlib.sha256(der).digest()[:KID_LENGTH]


def _der(data: bytes, where: str) -> bytes:
    """One certificate (PEM or DER) as DER, checked to be a usable DCC signer."""
    try:
        cert = (x509.load_pem_x509_certificate(data) if data.lstrip().startswith(b"-----")
                else x509.load_der_x509_certificate(data))
    except ValueError as err:
        raise SigningKeyError(f"{where}: not an X.509 certificate (DER or PEM)") from err
    der = cert.public_bytes(Encoding.DER)
    try:
        DccSigner.from_certificate(der)
    except SigningKeyError as err:
        raise SigningKeyError(f"{where}: {err}") from err
    return der


def _entry(item: Any, where: str) -> bytes:
    given_kid = None
    if isinstance(item, dict):
        raw = next((item[k] for k in ("rawData", "certificate", "der") if k in item), None)
        given_kid = item.get("kid")
        item = raw
    if not isinstance(item, str) or not item.strip():
        raise SigningKeyError(f"{where}: expected base64 DER or PEM text "
                              "(or an object with rawData / certificate)")
    if item.lstrip().startswith("-----"):
        der = _der(item.encode("ascii", "replace"), where)
    else:
        try:
            raw_der = base64.b64decode(item.strip(), validate=True)
        except (binascii.Error, ValueError) as err:
            raise SigningKeyError(f"{where}: certificate is not valid base64") from err
        der = _der(raw_der, where)
    if given_kid is not None:
        try:
            kid = base64.b64decode(str(given_kid), validate=True)
        except (binascii.Error, ValueError) as err:
            raise SigningKeyError(f"{where}: kid is not valid base64") from err
        if kid != dcc_kid(der):
            raise SigningKeyError(f"{where}: kid {given_kid} is not SHA-256(certificate)[:8] "
                                  f"({b64(dcc_kid(der))})")
    return der


def load_dcc_certificates(data: bytes | str) -> list[bytes]:
    """The DSCs (DER, file order, duplicates dropped) in a trust-list file's content.

    Raises:
        SigningKeyError: the content is none of the forms, or an entry is not a usable
            DCC signer certificate (the message names the entry).
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    head = data.lstrip()[:1]
    if head in (b"[", b"{"):
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError) as err:
            raise SigningKeyError(f"DCC trust file: not valid JSON: {err}") from err
        items = doc.get("certificates") if isinstance(doc, dict) else doc
        if not isinstance(items, list):
            raise SigningKeyError("DCC trust file: JSON must be a list or "
                                  "{\"certificates\": [...]}")
        ders = [_entry(item, f"certificates[{i}]") for i, item in enumerate(items)]
    elif data.lstrip().startswith(b"-----"):
        blocks = _PEM_CERT.findall(data)
        if not blocks:
            raise SigningKeyError("DCC trust file: no CERTIFICATE block in the PEM text")
        ders = [_der(block, f"certificate {i + 1}") for i, block in enumerate(blocks)]
    elif data:
        ders = [_der(data, "DCC trust file")]
    else:
        ders = []
    return list(dict.fromkeys(ders))


def dcc_trust_payload(certs: Iterable[bytes], *, issued_at: datetime,
                      lifetime: timedelta = DCC_TRUST_LIST_LIFETIME) -> dict[str, Any]:
    """The payload of a DCC trust list (to be signed with :func:`sign_dcc_trust_list`)."""
    entries = [dict(_signer_entry(bytes(der))) for der in certs]
    return {"type": DCC_TRUST_LIST_TYPE, "version": 1, "issued_at": iso(issued_at),
            "expires_at": iso(issued_at + lifetime), "signers": entries}


@lru_cache(maxsize=4096)
def _signer_entry(der: bytes) -> tuple[tuple[str, Any], ...]:
    """One signer as the list shows it (parsed once per certificate)."""
    der = _der(der, "certificate")
    signer = DccSigner.from_certificate(der)
    spki = x509.load_der_x509_certificate(der).public_key().public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return (("kid", b64(signer.kid)), ("alg", ALG_NAMES[signer.alg]), ("spki", b64(spki)),
            ("certificate", b64(der)), ("not_before", iso(from_epoch(signer.not_before))),
            ("not_after", iso(from_epoch(signer.not_after))),
            ("types", tuple(sorted(signer.types))), ("subject", signer.subject))


def sign_dcc_trust_list(certs: Iterable[bytes], signer: SigningKey, *, issued_at: datetime,
                        lifetime: timedelta = DCC_TRUST_LIST_LIFETIME) -> str:
    """The signed JSON text of a DCC trust list (same envelope as the trust list)."""
    return sign_document(dcc_trust_payload(certs, issued_at=issued_at, lifetime=lifetime),
                         signer)


def load_dcc_trust_list(text: str | bytes, *, signer_public_key: bytes | TrustedKey,
                        at: datetime | None = None) -> list[bytes]:
    """Verify a signed DCC trust list and return its certificates (DER).

    Raises:
        SignedListError: bad signature or type, past ``expires_at`` (when ``at`` is
            given), an entry whose kid or key does not match its certificate.
    """
    payload = open_document(text, DCC_TRUST_LIST_TYPE, signer_public_key)
    expires = parse_iso(payload.get("expires_at"), "expires_at")
    if at is not None and at > expires:
        raise SignedListError(f"DCC trust list expired at {payload.get('expires_at')}")
    signers = payload.get("signers")
    if not isinstance(signers, list):
        raise SignedListError("DCC trust list has no 'signers' array")
    ders = []
    for i, entry in enumerate(signers):
        if not isinstance(entry, dict):
            raise SignedListError(f"signers[{i}] is not an object")
        der = unb64(entry.get("certificate"), f"signers[{i}].certificate")
        if unb64(entry.get("kid"), f"signers[{i}].kid") != dcc_kid(der):
            raise SignedListError(f"signers[{i}]: kid does not match the certificate")
        try:
            spki = x509.load_der_x509_certificate(der).public_key().public_bytes(
                Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        except ValueError as err:
            raise SignedListError(f"signers[{i}]: not an X.509 certificate") from err
        if unb64(entry.get("spki"), f"signers[{i}].spki") != spki:
            raise SignedListError(f"signers[{i}]: spki does not match the certificate")
        ders.append(der)
    return ders


__all__ = ["DCC_TRUST_LIST_TYPE", "dcc_kid", "dcc_trust_payload", "load_dcc_certificates",
           "load_dcc_trust_list", "sign_dcc_trust_list"]
