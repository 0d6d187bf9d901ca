"""Staff password hashing: scrypt (memory-hard, 16 MiB per hash), off the event loop.

``hashlib.scrypt`` is the standard library's binding of OpenSSL's scrypt; the stored form
``scrypt$<salt b64>$<key b64>`` is the one store staff accounts always had, so their
passwords moved over unchanged (migration ``0012_staff``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets

SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024}
MIN_LENGTH = 10  #: shortest password an account may have


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password`` (about 50 ms of CPU: call :func:`hash_async`
    from async code)."""
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(key).decode()


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (constant-time compare)."""
    try:
        _, salt, key = stored.split("$")
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), dklen=32,
                             **SCRYPT)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(key))


#: checked when the username is unknown, so a wrong name costs what a wrong password does
DUMMY_HASH = hash_password(secrets.token_urlsafe(12))


async def hash_async(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


async def check_async(password: str, stored: str | None) -> bool:
    """:func:`check_password` in a worker thread; a ``None`` hash (no such account) does
    the same work and fails."""
    ok = await asyncio.to_thread(check_password, password, stored or DUMMY_HASH)
    return ok and stored is not None
