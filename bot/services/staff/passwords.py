"""Staff password hashing: scrypt (memory-hard, 16 MiB per hash), off the event loop.

Hashes run on :data:`HASH_THREADS` threads of their own (scrypt releases the GIL, so the
event loop keeps answering); at most :data:`MAX_QUEUED` more wait for one, and a login
beyond that is refused at once (``busy``, 503 with ``Retry-After``) instead of piling up
memory and latency. An unknown username costs the same hash as a wrong password.

``hashlib.scrypt`` is the standard library's binding of OpenSSL's scrypt; the stored form
``scrypt$<salt b64>$<key b64>`` is the one store staff accounts always had, so their
passwords moved over unchanged (migration ``0012_staff``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import secrets
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from bot.services.staff.errors import StaffError

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


HASH_THREADS = max(1, (os.cpu_count() or 2) // 2)  #: hashes at once (half the cores)
MAX_QUEUED = 32  #: hashes that may wait for a thread; more are refused (busy)
_POOL = ThreadPoolExecutor(HASH_THREADS, thread_name_prefix="scrypt")
_T = TypeVar("_T")


class _Queue:
    """The hashes of one event loop: running plus waiting, bounded."""

    def __init__(self) -> None:
        self.slots = asyncio.Semaphore(HASH_THREADS)
        self.inside = 0  #: running and waiting

    async def run(self, fn: Callable[..., _T], *args: str) -> _T:
        if self.inside >= HASH_THREADS + MAX_QUEUED:
            raise StaffError("busy", "登录人数过多，请稍后再试。",
                             "Too many logins at once; try again in a moment.",
                             status=503, retry_after=1)
        self.inside += 1
        try:
            async with self.slots:
                return await asyncio.get_running_loop().run_in_executor(_POOL, fn, *args)
        finally:
            self.inside -= 1


_QUEUES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue] = \
    weakref.WeakKeyDictionary()


def queue() -> _Queue:
    """This event loop's hashing queue."""
    loop = asyncio.get_running_loop()
    found = _QUEUES.get(loop)
    if found is None:
        found = _QUEUES[loop] = _Queue()
    return found


async def hash_async(password: str) -> str:
    """:func:`hash_password` on the hashing threads.

    Raises:
        StaffError: ``busy`` (503) when too many hashes wait already.
    """
    return await queue().run(hash_password, password)


async def check_async(password: str, stored: str | None) -> bool:
    """:func:`check_password` on the hashing threads; a ``None`` hash (no such account)
    does the same work and fails.

    Raises:
        StaffError: ``busy`` (503) when too many hashes wait already.
    """
    ok = await queue().run(check_password, password, stored or DUMMY_HASH)
    return ok and stored is not None
