"""The approval notice of a business-resumption filing (复工通知): a signed resumption
notice (``codes.issue_notice``, prefix ``TGN1:``) that the firm prints and posts at its
gate, and the unguessable link the firm opens it with.

Nothing here writes. The notice is signed again on every view from the approval alone,
so a GET stays a read: the claims are the same each time — notice number, the firm's
name (shortened for the gate), USCC, district, approval day, validity
(:data:`NOTICE_VALID` from the approval) and a code id derived from the filing (an HMAC
with the hub's blind-index key, so a revocation list can name the notice without a row).
Only ``iat`` may move: it is the approval time, or the active key's ``valid_from`` when
the key was rotated since (a code's ``iat`` must lie in its key's window); a rotation
thus gives a reprint that verifies against the keys the checkpoints trust.

The firm opens it by the link ``/notice/<id>-<mac>`` (:mod:`bot.services.notice_links`):
an HMAC of the filing id that only the firm is given. The notice itself is public (it
hangs on a gate), so the link mainly keeps the list of approved firms from enumeration.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

import codes
from bot.clock import CITY_TZ
from bot.db.models.filings import Filing, FilingHistory
from bot.services.declarations import declarations
from bot.services.filings.catalog import DISTRICTS, label
from bot.services.filings.errors import FilingError, not_found
from codes.notice import MAX_DISTRICT, MAX_FIRM_NAME

if TYPE_CHECKING:
    from bot.hub import Hub

log = logging.getLogger("tongguan.filings")

#: How long a notice is valid after its approval (the firm reprints after a key rotation
#: as needed; a new approval gives a new notice).
NOTICE_VALID = timedelta(days=30)
CODE_ID_PURPOSE = "notice-code-id"
CODE_ID_BYTES = 8
#: Roles that may open any approved filing's notice by its id (a reviewer within their
#: district): the same as may read filings.
STAFF_ROLES = ("reviewer", "admin", "auditor")


@dataclass(frozen=True)
class ResumptionNotice:
    """One approved filing's notice as a page shows it."""

    filing_id: int
    text: str  #: the ``TGN1:`` code ("" once the notice has expired: nothing to sign)
    notice_no: str
    firm_name: str  #: the full name, as filed
    gate_name: str  #: the name the notice states (at most ``codes.notice.MAX_FIRM_NAME``)
    uscc: str
    district: str  #: the district value, e.g. ``jiangan``
    district_zh: str
    district_en: str
    approved_on: date  #: the city's date of approval
    approved_at: datetime
    issued_at: datetime  #: this copy's ``iat``
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def not_approved(row: Filing) -> FilingError:
    return FilingError(409, "not_approved",
                       "这份申报尚未批准，没有复工通知。",
                       "This filing is not approved: there is no resumption notice.",
                       id=row.id, state=row.state)


def notice_code_id(hub: Hub, filing_id: int) -> bytes:
    """The notice's ``cti``: derived from the filing, so every copy names the same id."""
    digest = hub.sealer.blind_index(CODE_ID_PURPOSE, str(filing_id))
    return bytes.fromhex(digest)[:CODE_ID_BYTES]


def gate_name(firm_name: str) -> str:
    """The firm's name as the notice states it: short enough for the QR symbol."""
    most = MAX_FIRM_NAME
    name = " ".join(firm_name.split())
    return name if len(name) <= most else name[:most - 1] + "…"


async def approved_filing(hub: Hub, filing_id: int, *,
                          scope: str | None = None) -> tuple[Filing, datetime]:
    """An approved filing (within a reviewer's district ``scope``) and its approval time.

    Raises:
        FilingError: 404 no such filing (or outside ``scope``); 409 ``not_approved``.
    """
    async with hub.db.sessions() as session:
        row = await session.get(Filing, filing_id)
        if row is None or (scope is not None and row.district != scope):
            raise not_found(filing_id)
        if row.state != "approved" or not row.notice_no:
            raise not_approved(row)
        at = await session.scalar(
            sa.select(FilingHistory.at)
            .where(FilingHistory.filing_id == filing_id, FilingHistory.state == "approved")
            .order_by(FilingHistory.id.desc()).limit(1))
    return row, at or row.updated_at


def sign_notice(hub: Hub, row: Filing, approved_at: datetime) -> ResumptionNotice:
    """The filing's notice, signed now with the active key (writes nothing).

    Raises:
        FilingError: 409 ``not_approved``; 503 ``notice_key`` when the active key may not
            sign printed (``paper``) codes, so a checkpoint would refuse the notice.
    """
    if row.state != "approved" or not row.notice_no:
        raise not_approved(row)
    store = declarations(hub).signing.store
    key = store.active_signer()
    record = next(r for r in store.records() if r.kid == key.kid)
    if codes.NOTICE_KIND not in record.kinds:
        raise FilingError(503, "notice_key", "签名密钥不能签发复工通知，请联系管理员。",
                          "The signing key may not sign notices (it lacks the paper kind); "
                          "ask an administrator.")
    expires_at = approved_at + NOTICE_VALID
    issued_at = max(approved_at, record.valid_from)
    district_zh, district_en = (label(DISTRICTS, row.district, "zh"),
                                label(DISTRICTS, row.district, "en"))
    approved_on = approved_at.astimezone(CITY_TZ).date()
    name = gate_name(row.firm_name)
    text = ""
    if issued_at < expires_at:
        text = codes.issue_notice(
            key=key, notice_no=row.notice_no, firm_name=name, uscc=row.uscc,
            district=f"{district_zh} {district_en}"[:MAX_DISTRICT],
            approved_on=approved_on, expires_at=expires_at, at=issued_at,
            code_id=notice_code_id(hub, row.id))
    return ResumptionNotice(
        filing_id=row.id, text=text, notice_no=row.notice_no, firm_name=row.firm_name,
        gate_name=name, uscc=row.uscc, district=row.district, district_zh=district_zh,
        district_en=district_en, approved_on=approved_on, approved_at=approved_at,
        issued_at=issued_at, expires_at=expires_at)


async def notice_for(hub: Hub, filing_id: int, *,
                     scope: str | None = None) -> ResumptionNotice:
    """The notice of an approved filing, signed now (see :func:`sign_notice`).

    Raises:
        FilingError: 404, 409 ``not_approved``, 503 ``notice_key``.
    """
    row, approved_at = await approved_filing(hub, filing_id, scope=scope)
    notice = sign_notice(hub, row, approved_at)
    log.info("filings.notice.shown id=%s notice_no=%s", row.id, row.notice_no)
    return notice
