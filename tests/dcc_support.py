"""EU DCC (``HC1:``) test vectors made on the spot: a throw-away DSC and codes it signs.

The DSC is a self-signed X.509 certificate made with ``cryptography``; the code is built
as the hcert specification says — CWT claims ``{1: iss, 4: exp, 6: iat, -260: {1: hcert}}``,
COSE_Sign1 (python-cwt) with kid = SHA-256(DSC DER)[:8], zlib, Base45, ``HC1:``.
"""

from __future__ import annotations

import hashlib
import zlib
from datetime import datetime, timedelta

import base45
import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier
from cwt import COSE, COSEKey

HCERT_NAME = {"fn": "Mustermann", "gn": "Erika", "fnt": "MUSTERMANN", "gnt": "ERIKA"}
VACCINATION = {"tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528",
               "ma": "ORG-100030215", "dn": 2, "sd": 2, "dt": "2021-12-01", "co": "DE",
               "is": "Robert Koch-Institut",
               "ci": "URN:UVCI:01DE/IZ12345A/5CWLU12RNOB9RXSEOP6FG8#W"}
TEST = {"tg": "840539006", "tt": "LP217198-3", "ma": "1232", "sc": "2022-01-09T10:00:00Z",
        "tr": "260415000", "tc": "Testzentrum Köln", "co": "DE", "is": "Robert Koch-Institut",
        "ci": "URN:UVCI:01DE/IBMT102/18Q12HTUJ45NO7ZTR2RGAS#C"}
ENTRIES = {"v": VACCINATION, "t": TEST}
ALGS = {"ES256": -7, "PS256": -37}


def make_dsc(*, alg: str = "ES256", not_before: datetime, not_after: datetime,
             ekus: list[str] | None = None, name: str = "Test DSC") -> tuple[object, bytes]:
    """(private key, certificate DER) of a self-signed document signer certificate."""
    key = (ec.generate_private_key(ec.SECP256R1()) if alg == "ES256"
           else rsa.generate_private_key(public_exponent=65537, key_size=2048))
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
                         x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after))
    if ekus:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ObjectIdentifier(o) for o in ekus]), critical=False)
    return key, builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def sign_hc1(key: object, cert_der: bytes, *, iat: datetime, exp: datetime,
             cert_type: str = "v", alg: str = "ES256", kid_in: str = "protected") -> str:
    """An ``HC1:`` code signed by ``key`` (the DSC's private key)."""
    hcert = {"ver": "1.3.0", "dob": "1964-08-12", "nam": HCERT_NAME,
             cert_type: [ENTRIES[cert_type]]}
    claims = {1: "DE", 4: int(exp.timestamp()), 6: int(iat.timestamp()), -260: {1: hcert}}
    kid = hashlib.sha256(cert_der).digest()[:8]
    protected: dict = {1: ALGS[alg]}
    unprotected: dict = {}
    (protected if kid_in == "protected" else unprotected)[4] = kid
    pem = key.private_bytes(serialization.Encoding.PEM,  # type: ignore[attr-defined]
                            serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    msg = COSE.new().encode_and_sign(cbor2.dumps(claims), COSEKey.from_pem(pem, alg=alg),
                                     protected=protected, unprotected=unprotected)
    return "HC1:" + base45.b45encode(zlib.compress(msg, 9)).decode()


def around(now: datetime) -> dict[str, datetime]:
    """DSC validity and code times that hold at ``now``."""
    return {"not_before": now - timedelta(days=30), "not_after": now + timedelta(days=365),
            "iat": now - timedelta(days=1), "exp": now + timedelta(days=180)}
