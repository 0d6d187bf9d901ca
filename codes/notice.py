"""Resumption notices (复工通知): a claim type of their own in the health-code envelope.

A firm whose business-resumption filing was approved posts the notice at its gate; any
checkpoint verifies it offline. It is the same stack as a health code — CWT claims →
COSE_Sign1 → zlib → Base45 — with the same keys, trust list and revocation list, and two
marks that keep the two types apart:

* its own prefix, ``TGN1:``, so a scanner knows what it holds before any crypto and an
  older checkpoint refuses it as "not a health code" (``bad_prefix``) instead of half
  reading it;
* its own private claim, -70001 (a health code's is -70000). The prefix is not signed,
  so the claim is what counts: a notice re-labelled ``TG1:`` is refused as
  ``not_a_health_code`` and a health code re-labelled ``TGN1:`` as ``not_a_notice``, after
  its signature was checked. A claims map holding both private claims is neither.

Claims (no personal data; everything on it is public on the gate)::

    {1: iss, 4: exp, 6: iat, 7: cti,
     -70001: {"n": notice no., "f": firm name, "u": USCC, "d": district, "a": "YYYY-MM-DD"}}

``iat`` is when this copy was signed (it must lie in the signing key's window), ``a`` the
day of approval, ``exp`` the end of validity. A key signs notices when it may sign
``paper`` codes: a notice is printed matter, and a key kept for short-lived live codes
only should not sign a document that hangs on a gate for weeks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from codes import envelope
from codes.claims import MAX_EPOCH, TG_CLAIM, Claim, ClaimsProblem, iso_utc, new_code_id, to_epoch
from codes.envelope import NOTICE_PREFIX
from codes.errors import IssueError
from codes.keys import SigningKey
from codes.reasons import Reason, Refusal

#: Private claim key of a resumption notice (a health code's is ``TG_CLAIM``, -70000).
NOTICE_CLAIM = -70001
#: The trust-list kind a key needs to sign notices (see the module docstring).
NOTICE_KIND = "paper"
#: The ``type`` a verdict's claims carry for a notice.
NOTICE_TYPE = "resumption_notice"
MAX_NOTICE_TTL = timedelta(days=366)
MAX_NOTICE_NO = 40
MAX_FIRM_NAME = 40
MAX_DISTRICT = 32
#: GB 32100 USCC characters: digits and capitals without I, O, S, V, Z.
_USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class NoticeClaims:
    """What a resumption notice states. Times are whole seconds, UTC."""

    issuer: str
    issued_at: int  #: when this copy was signed
    expires_at: int  #: the end of the notice's validity
    code_id: bytes  #: ``cti``: the revocation lists name notices by it, as codes
    notice_no: str  #: the approval's notice number, e.g. ``JIANGAN-00012``
    firm_name: str  #: short form, as posted on the gate
    uscc: str  #: the firm's unified social credit code
    district: str  #: the approving district, as the issuer writes it (e.g. ``江岸区 Jiang'an``)
    approved_on: str  #: the day of approval, ``YYYY-MM-DD`` (the city's date)

    def validate(self) -> None:
        """Check the values an issuer controls.

        Raises:
            ClaimsProblem: naming the first bad field.
        """
        if not self.issuer or len(self.issuer) > 32:
            raise ClaimsProblem("issuer must be 1-32 characters")
        for name, value, most in (("notice number", self.notice_no, MAX_NOTICE_NO),
                                  ("firm name", self.firm_name, MAX_FIRM_NAME),
                                  ("district", self.district, MAX_DISTRICT)):
            if not isinstance(value, str) or not value.strip() or len(value) > most:
                raise ClaimsProblem(f"{name} must be 1-{most} characters")
        if not isinstance(self.uscc, str) or not _USCC.fullmatch(self.uscc):
            raise ClaimsProblem("USCC must be 18 characters of GB 32100 (0-9, A-Y without "
                                "I, O, S, V, Z)")
        if not _valid_date(self.approved_on):
            raise ClaimsProblem("approval date must be YYYY-MM-DD")
        if not isinstance(self.code_id, bytes) or not 1 <= len(self.code_id) <= 32:
            raise ClaimsProblem("code id must be 1-32 bytes")
        if self.expires_at <= self.issued_at:
            raise ClaimsProblem("expiry must be after issue time")
        if self.expires_at - self.issued_at > MAX_NOTICE_TTL.total_seconds():
            raise ClaimsProblem(f"a notice is valid for at most {MAX_NOTICE_TTL.days} days")

    def to_cbor_map(self) -> dict[int, Any]:
        return {
            Claim.ISS: self.issuer, Claim.EXP: self.expires_at, Claim.IAT: self.issued_at,
            Claim.CTI: self.code_id,
            NOTICE_CLAIM: {"n": self.notice_no, "f": self.firm_name, "u": self.uscc,
                           "d": self.district, "a": self.approved_on},
        }

    @classmethod
    def from_cbor_map(cls, data: Any) -> NoticeClaims:
        """Read a decoded (signature-checked) claims map.

        Raises:
            Refusal: ``not_a_notice`` — the map is a health code's (-70000).
            ClaimsProblem: a claim is missing or has the wrong type (``bad_claims``).
        """
        if not isinstance(data, dict):
            raise ClaimsProblem("claims are not a CBOR map")
        if TG_CLAIM in data:
            raise Refusal(Reason.NOT_A_NOTICE, "the claims are a health code's (-70000)")
        body = data.get(NOTICE_CLAIM)
        if type(body) is not dict:
            raise ClaimsProblem("notice claim (-70001) is missing or not a map")
        iss, iat, exp, cti = (data.get(int(Claim.ISS)), data.get(int(Claim.IAT)),
                              data.get(int(Claim.EXP)), data.get(int(Claim.CTI)))
        fields: list[Any] = [body.get(k) for k in ("n", "f", "u", "d", "a")]
        if not (type(iss) is str and type(iat) is int and type(exp) is int
                and type(cti) is bytes and all(type(f) is str for f in fields)):
            raise ClaimsProblem("a notice claim is missing or mistyped (iss, iat, exp, cti, "
                                "n, f, u, d, a)")
        if not (0 <= iat < MAX_EPOCH and 0 <= exp < MAX_EPOCH):
            raise ClaimsProblem("iat/exp outside the years 1970-9999")
        if not _valid_date(fields[4]):
            raise ClaimsProblem("approval date is not YYYY-MM-DD")
        return cls(iss, iat, exp, cti, *fields)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly claims for a :class:`~codes.verdict.Verdict`."""
        return {"type": NOTICE_TYPE, "iss": self.issuer, "iat": iso_utc(self.issued_at),
                "exp": iso_utc(self.expires_at), "cti": self.code_id.hex(),
                "notice_no": self.notice_no, "firm_name": self.firm_name, "uscc": self.uscc,
                "district": self.district, "approved_on": self.approved_on}


def _valid_date(value: object) -> bool:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def issue_notice(*, key: SigningKey, notice_no: str, firm_name: str, uscc: str,
                 district: str, approved_on: date, expires_at: datetime,
                 at: datetime, code_id: bytes | None = None, issuer: str = "TG") -> str:
    """Sign a resumption notice and return its ``TGN1:`` text (ready for a QR symbol).

    The same arguments give the same claims (pass ``code_id``): a page may sign the
    notice again on every view. The signature itself differs each time (ECDSA).

    Args:
        key: the active signing key (``KeyStore.active_signer()``); it must be trusted for
            ``paper`` codes, and ``at`` must lie in its signing window.
        notice_no, firm_name, uscc, district: what the notice states (public data only).
        approved_on: the day of approval.
        expires_at: the end of validity (at most 366 days after ``at``); aware.
        at: the issue time of this copy; aware.
        code_id: the ``cti`` (8 random bytes by default); keep it to revoke the notice.

    Raises:
        IssueError: a bad argument.
    """
    if at.tzinfo is None or expires_at.tzinfo is None:
        raise IssueError("'at' and 'expires_at' must be timezone-aware datetimes")
    if not isinstance(approved_on, date):
        raise IssueError("approved_on must be a date")
    claims = NoticeClaims(issuer=issuer, issued_at=to_epoch(at),
                          expires_at=to_epoch(expires_at),
                          code_id=new_code_id() if code_id is None else code_id,
                          notice_no=notice_no, firm_name=firm_name, uscc=uscc,
                          district=district, approved_on=approved_on.isoformat()[:10])
    try:
        claims.validate()
    except ClaimsProblem as err:
        raise IssueError(str(err)) from err
    return envelope.seal(claims.to_cbor_map(), key, prefix=NOTICE_PREFIX)
