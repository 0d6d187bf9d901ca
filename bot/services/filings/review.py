"""The reviewer's side: a decision on a submitted filing (approve, reject, return).

The caller names the reviewer (``actor``) and the district they may see (``scope``;
None for every district): a filing outside it is "not found". A decision on a filing
that changed since the reviewer read it (``version``) or is no longer submitted is a
conflict (409), never applied twice. The decision, the history row, the notice number,
the firm's notice and the staff audit entry are one transaction.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from bot.db.models.filings import Filing
from bot.services.filings.catalog import DECISIONS
from bot.services.filings.context import Filings
from bot.services.filings.errors import FieldError, FilingError, FilingInvalid, not_found
from bot.services.filings.transitions import transition
from bot.services.staff.audit import audit_in

log = logging.getLogger("tongguan.filings")

MAX_REASON = 500


def check_decision(decision: object, reason: object, version: object) -> tuple[str, str,
                                                                              int | None]:
    """The decision's (state, reason, version) from a request body's values.

    Raises:
        FilingInvalid: an unknown decision, a missing or too long reason, a bad version.
    """
    errors = []
    if not isinstance(decision, str) or decision not in DECISIONS:
        errors.append(FieldError("decision", "not_allowed",
                                 "decision 须为 approve、reject 或 return。",
                                 "decision must be approve, reject or return."))
    text = " ".join(reason.split()) if isinstance(reason, str) else ""
    if not text:
        errors.append(FieldError("reason", "required", "请填写审核意见（理由）。",
                                 "A reason is required."))
    elif len(text) > MAX_REASON:
        errors.append(FieldError("reason", "length", f"审核意见不能超过{MAX_REASON}字。",
                                 f"The reason must be at most {MAX_REASON} characters."))
    if isinstance(version, float) and version.is_integer():  # 3.0 is JSON's integer 3
        version = int(version)
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        errors.append(FieldError("version", "not_integer", "version 应为整数。",
                                 "version must be a whole number."))
    if errors:
        raise FilingInvalid(errors)
    assert isinstance(decision, str)
    return DECISIONS[decision], text, version if isinstance(version, int) else None


def in_scope(row: Filing | None, scope: str | None) -> bool:
    return row is not None and (scope is None or row.district == scope)


async def decide(ctx: Filings, filing_id: int, decision: object, reason: object, *,
                 actor: str, scope: str | None, version: object = None) -> Filing:
    """Apply a reviewer's decision; returns the filing as it now is.

    Raises:
        FilingInvalid: bad decision, reason or version (422).
        FilingError: 404 not found / outside ``scope``; 409 ``stale`` (the filing's
            version is not ``version``) or ``not_submitted``.
    """
    state, text, seen = check_decision(decision, reason, version)
    async with ctx.hub.db.write() as session:
        row = await session.scalar(sa.select(Filing).where(Filing.id == filing_id)
                                   .with_for_update())
        if row is None or not in_scope(row, scope):
            raise not_found(filing_id)
        if seen is not None and seen != row.version:
            raise FilingError(409, "stale", "这份申报已被修改，请刷新后再审核。",
                              "The filing changed since you read it; reload it and decide "
                              "again.", version=row.version, state=row.state)
        if row.state != "submitted":
            raise FilingError(409, "not_submitted", "这份申报当前不在待审核状态。",
                              "The filing is not awaiting review.", version=row.version,
                              state=row.state)
        await transition(session, ctx, row, state, actor=actor, reason=text)
        audit_in(session, ctx.hub.clock.now(), actor=actor, action=f"filing.{decision}",
                 object=f"filing:{row.id}",
                 detail={"state": state, "version": row.version, "notice_no": row.notice_no})
    log.info("filings.decided id=%s state=%s actor=%s", row.id, state, actor)
    return row
