"""The one error root of the ``codes`` package and its few children.

Verification never raises for a bad code: it returns a :class:`~codes.verdict.Verdict`
with a reason. These errors are for callers' mistakes and broken files (keys, lists,
images), in the spirit of python-cwt's four-class tree.
"""

from __future__ import annotations


class CodesError(Exception):
    """Base class of every error raised on purpose by ``codes``.

    Args:
        message: one English sentence a person can act on.
        reason: a stable machine code (``bad_key``, ``no_qr``...).
    """

    reason = "error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class IssueError(CodesError):
    """A code cannot be issued from these arguments (bad colour, TTL, subject...)."""

    reason = "bad_request"


class SigningKeyError(CodesError):
    """A key cannot be generated, read, decrypted or used."""

    reason = "bad_key"


class KeyStoreError(SigningKeyError):
    """The key store directory or its index is missing, locked or inconsistent."""

    reason = "bad_key_store"


class SignedListError(CodesError):
    """A trust list or revocation list is malformed or its signature does not verify."""

    reason = "bad_list"


class QRError(CodesError):
    """A QR code cannot be rendered, or no QR code was found in an image."""

    reason = "no_qr"


__all__ = [
    "CodesError",
    "IssueError",
    "KeyStoreError",
    "QRError",
    "SignedListError",
    "SigningKeyError",
]
