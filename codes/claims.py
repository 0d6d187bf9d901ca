"""CWT claims of a Tongguan code and their compact CBOR form.

Standard CWT claims (RFC 8392) carry issuer, subject, times and the code id; one
private-use claim (RFC 8392 §9.1: keys below -65536 are private use) carries the health
data in a map with one-letter keys, so a live code fits a small QR symbol.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from functools import lru_cache
from typing import Any

from cwt import CWTClaims

#: Private claim key holding ``{"c": colour, "k": kind, "n": masked name, "r": rules}``
#: and, only for a code declared by proxy (代报), ``"p": true``.
TG_CLAIM = -70000
#: Key of the proxy marker inside the private claim; absent when false, so a code that is
#: not declared by proxy is byte-identical to one issued before the marker existed.
PROXY_KEY = "p"
CODE_ID_BYTES = 8
MAX_SUBJECT = 64
MAX_NAME = 32
_ID_NUMBER = re.compile(r"\d{17}[\dXx]|\d{15}")


class Claim(IntEnum):
    """CWT claim keys used here (registry numbers as in python-cwt)."""

    ISS = CWTClaims.ISS
    SUB = CWTClaims.SUB
    EXP = CWTClaims.EXP
    IAT = CWTClaims.IAT
    CTI = CWTClaims.CTI
    HCERT = CWTClaims.HCERT
    TG = TG_CLAIM


class Color(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class Kind(StrEnum):
    LIVE = "live"
    PAPER = "paper"


_COLOR_CODE = {Color.GREEN: "g", Color.YELLOW: "y", Color.RED: "r"}
_COLOR_OF = {v: k for k, v in _COLOR_CODE.items()}
_KIND_CODE = {Kind.LIVE: "l", Kind.PAPER: "p"}
_KIND_OF = {v: k for k, v in _KIND_CODE.items()}


class ClaimsProblem(ValueError):
    """The claims map is incomplete or malformed (becomes reason ``bad_claims``)."""


def new_code_id() -> bytes:
    """A random code id (``cti``), 8 bytes: enough to be unique, small for the QR."""
    return secrets.token_bytes(CODE_ID_BYTES)


#: 10000-01-01T00:00:00Z: later times cannot be shown (datetime stops at year 9999).
MAX_EPOCH = 253_402_300_800


def to_epoch(when: datetime) -> int:
    if when.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return int(when.timestamp())


def from_epoch(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def iso_utc(value: int) -> str:
    """``from_epoch(value).isoformat()``, built from a cached date part and table lookups (a
    verdict shows two times per scan and the codes of one day share the date; tests compare
    both forms)."""
    day, seconds = divmod(value, 86400)
    minutes, seconds = divmod(seconds, 60)
    return _iso_date(day) + _HOUR_MINUTE[minutes] + _SECOND[seconds]


_HOUR_MINUTE = tuple(f"{m // 60:02d}:{m % 60:02d}:" for m in range(24 * 60))
_SECOND = tuple(f"{s:02d}+00:00" for s in range(60))


@lru_cache(maxsize=64)
def _iso_date(day: int) -> str:
    return from_epoch(day * 86400).isoformat()[:11]  # "YYYY-MM-DDT"


@dataclass(frozen=True)
class CodeClaims:
    """What a Tongguan code states. Times are whole seconds, UTC."""

    issuer: str
    subject: str  # pseudonymous id, never an ID number
    issued_at: int
    expires_at: int
    code_id: bytes
    color: Color
    kind: Kind
    masked_name: str
    rules_version: str
    proxy: bool = False  #: declared by proxy (代报): someone declared for this person

    def validate(self) -> None:
        """Check the values an issuer controls.

        Raises:
            ClaimsProblem: naming the first bad field.
        """
        if not self.issuer or len(self.issuer) > 32:
            raise ClaimsProblem("issuer must be 1-32 characters")
        if not self.subject or len(self.subject) > MAX_SUBJECT:
            raise ClaimsProblem(f"subject must be 1-{MAX_SUBJECT} characters")
        if _ID_NUMBER.search(self.subject):
            raise ClaimsProblem("subject looks like an ID number; use a pseudonymous id")
        if not self.masked_name or len(self.masked_name) > MAX_NAME:
            raise ClaimsProblem(f"masked name must be 1-{MAX_NAME} characters")
        if not self.rules_version or len(self.rules_version) > 16:
            raise ClaimsProblem("rules version must be 1-16 characters")
        if self.expires_at <= self.issued_at:
            raise ClaimsProblem("expiry must be after issue time")
        if type(self.proxy) is not bool:
            raise ClaimsProblem("proxy must be true or false")

    def to_cbor_map(self) -> dict[int, Any]:
        tg: dict[str, Any] = {"c": _COLOR_CODE[self.color], "k": _KIND_CODE[self.kind],
                              "n": self.masked_name, "r": self.rules_version}
        if self.proxy:
            tg[PROXY_KEY] = True
        return {
            Claim.ISS: self.issuer,
            Claim.SUB: self.subject,
            Claim.EXP: self.expires_at,
            Claim.IAT: self.issued_at,
            Claim.CTI: self.code_id,
            Claim.TG: tg,
        }

    @classmethod
    def from_cbor_map(cls, data: Any) -> CodeClaims:
        """Read a decoded claims map.

        Raises:
            ClaimsProblem: a claim is missing or has the wrong type.
        """
        if not isinstance(data, dict):
            raise ClaimsProblem("claims are not a CBOR map")
        tg = _need(data, _TG, dict, "health claim (-70000)")
        color, kind = tg.get("c"), tg.get("k")
        color = _COLOR_OF.get(color) if type(color) is str else None
        kind = _KIND_OF.get(kind) if type(kind) is str else None
        if color is None:
            raise ClaimsProblem("colour is missing or unknown")
        if kind is None:
            raise ClaimsProblem("code kind is missing or unknown")
        get = data.get
        iss, sub, iat, exp, cti = get(_ISS), get(_SUB), get(_IAT), get(_EXP), get(_CTI)
        name, rules = tg.get("n"), tg.get("r")
        # Exact types, as cbor2 returns them (so never a bool for an int); anything else
        # goes through _need, which accepts subclasses and names the bad claim.
        if not (type(iss) is str and type(sub) is str and type(iat) is int
                and type(exp) is int and type(cti) is bytes and type(name) is str
                and type(rules) is str):
            iss, sub = _need(data, _ISS, str, "iss"), _need(data, _SUB, str, "sub")
            iat, exp = _need(data, _IAT, int, "iat"), _need(data, _EXP, int, "exp")
            cti = _need(data, _CTI, bytes, "cti")
            name, rules = _need(tg, "n", str, "masked name"), _need(tg, "r", str, "rules version")
        if not (0 <= iat < MAX_EPOCH and 0 <= exp < MAX_EPOCH):
            raise ClaimsProblem("iat/exp outside the years 1970-9999")
        proxy = tg.get(PROXY_KEY)
        if proxy is not None and proxy is not True:  # written only when true
            raise ClaimsProblem("proxy marker must be true when present")
        return cls(iss, sub, iat, exp, cti, color, kind, name, rules, proxy is True)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly claims for a :class:`~codes.verdict.Verdict`."""
        return {
            "iss": self.issuer, "sub": self.subject,
            "iat": iso_utc(self.issued_at), "exp": iso_utc(self.expires_at),
            "cti": self.code_id.hex(), "color": _NAME[self.color], "kind": _NAME[self.kind],
            "masked_name": self.masked_name, "rules_version": self.rules_version,
            "proxy": self.proxy,
        }


# Plain ints (not the IntEnum members) for the per-scan lookups in decoded maps.
_ISS, _SUB, _EXP, _IAT, _CTI, _TG = (int(c) for c in (Claim.ISS, Claim.SUB, Claim.EXP,
                                                     Claim.IAT, Claim.CTI, Claim.TG))
_NAME: dict[Any, str] = {m: m.value for m in (*Color, *Kind)}


def _need(data: dict, key: Any, typ: type, label: str) -> Any:
    value = data.get(key)
    # bool is an int subclass; a CBOR true is never a valid time.
    if value is None or not isinstance(value, typ) or isinstance(value, bool):
        raise ClaimsProblem(f"claim {label} is missing or not a {typ.__name__}")
    return value
