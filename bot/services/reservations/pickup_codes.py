"""Pickup codes: 65 random bits as 13 Crockford base32 characters, shown ``XXXX-XXXX-XXXXX``.

Typed codes are forgiving: spaces, dashes and lower case are ignored, and the letters
people confuse (O, I, L) read as 0 and 1. Only the SHA-256 of a code is used for lookup.
"""

from __future__ import annotations

import hashlib
import io
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 13  #: 13 × 5 = 65 bits
_CONFUSED = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def new_code() -> str:
    """A fresh random code (normal form, no dashes)."""
    bits = secrets.randbits(5 * CODE_LENGTH)  # one draw, 5 bits per character
    return "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(CODE_LENGTH))


def normalize(typed: str) -> str | None:
    """The normal form of a typed or scanned code, or None when it cannot be one."""
    text = "".join(str(typed or "").split()).replace("-", "").upper().translate(_CONFUSED)
    if len(text) != CODE_LENGTH or any(c not in ALPHABET for c in text):
        return None
    return text


def display(code: str) -> str:
    """``ABCD-EFGH-JKMNP`` for reading aloud and typing."""
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def code_hash(code: str) -> str:
    return hashlib.sha256(b"pickup\x00" + code.encode()).hexdigest()


def qr_png(code: str) -> bytes:
    """A PNG QR code holding the displayed code (what the store page scans)."""
    import qrcode

    img = qrcode.make(display(code), box_size=8, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
