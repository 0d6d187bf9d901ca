"""The firm's side: submit a filing, resubmit a returned one, withdraw an open one.

The JSON API and the chat actions call these same functions. Every write is one
transaction: the filing, its flags, its history row and the firm's notice stand or fall
together, so an error leaves nothing half-written. One open filing per USCC is the
database's rule (a unique ``open_uscc``); a second one is refused with the open one's id.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.filings import Filing, FilingFlag
from bot.services.filings.catalog import OPEN_STATES
from bot.services.filings.context import Filings
from bot.services.filings.errors import FieldError, FilingError, FilingInvalid, not_found
from bot.services.filings.transitions import transition
from bot.services.filings.validation import FilingInput, validate_filing

log = logging.getLogger("tongguan.filings")

FIRM = "firm"  #: the history actor of the firm's own transitions
RULES = "rules"  #: the actor of an automatic approval


def already_open(open_id: int) -> FilingError:
    return FilingError(409, "open_filing_exists",
                       f"这家企业已有一份未办结的复工申报（编号 {open_id}），"
                       "请等待审核结果，或修改、撤回那一份。",
                       f"This firm already has an open filing (no. {open_id}); wait for "
                       "its review, or change or withdraw it.", open_filing_id=open_id)


def _fill(ctx: Filings, row: Filing, data: FilingInput) -> None:
    row.uscc = data.uscc
    row.firm_name = data.firm_name
    row.industry = data.industry
    row.district = data.district
    row.street = data.street
    row.address = data.address
    row.private = ctx.hub.sealer.seal({"contact_name": data.contact_name,
                                       "contact_phone": data.contact_phone,
                                       "prevention_lead": data.prevention_lead},
                                      context=b"filing")
    row.staff_total = data.staff_total
    row.staff_returning = data.staff_returning
    row.staff_risk_14d = data.staff_risk_14d
    row.isolation_rooms = data.isolation_rooms
    row.capacity_percent = data.capacity_percent
    row.planned_start = data.planned_start
    row.details = {"staff_origins": [o.to_json() for o in data.staff_origins],
                   "supplies_days": dict(data.supplies_days), "needs": list(data.needs)}
    row.flags = ctx.rules.screen(data.facts(ctx.today()))


async def _screened(session: AsyncSession, ctx: Filings, row: Filing, *, notify: bool) -> None:
    """Flags stored; submitted; approved at once when the rules say so and none match."""
    if row.id is not None:  # a resubmission: its earlier flags go (a new row has none)
        await session.execute(sa.delete(FilingFlag).where(FilingFlag.filing_id == row.id))
    await transition(session, ctx, row, "submitted", actor=FIRM, notify=notify)
    for flag in row.flags:
        session.add(FilingFlag(filing_id=row.id, flag=flag["id"]))
    if ctx.rules.auto_approve_without_flags and not row.flags:
        await transition(session, ctx, row, "approved", actor=RULES,
                         reason="预审无异常，自动批准 / No pre-screen flags: approved "
                                "automatically")


async def open_filing_id(ctx: Filings, uscc: str) -> int | None:
    async with ctx.hub.db.sessions() as session:
        return await session.scalar(sa.select(Filing.id).where(Filing.open_uscc == uscc))


async def submit(ctx: Filings, body: Any, *, user_key: str, lang: str,
                 notify: bool = True) -> Filing:
    """A new filing from ``body`` (the JSON API's shape) for the firm at ``user_key``.

    Raises:
        FilingInvalid: bad fields (one error each).
        FilingError: 409 ``open_filing_exists`` with ``open_filing_id``.
    """
    data = validate_filing(body, today=ctx.today())
    now = ctx.hub.clock.now()
    row = Filing(user_key=user_key[:160], lang=lang if lang in ("zh", "en") else "zh",
                 state="new", version=0, created_at=now, updated_at=now)
    _fill(ctx, row, data)
    try:
        # One INSERT, already submitted (the transition flushes the new row): the unique
        # open_uscc refuses a second open filing, a concurrent twin included.
        async with ctx.hub.db.write() as session:
            await _screened(session, ctx, row, notify=notify)
    except IntegrityError:
        open_id = await open_filing_id(ctx, data.uscc)
        if open_id is None:
            raise
        raise already_open(open_id) from None
    log.info("filings.submitted id=%s district=%s flags=%d state=%s", row.id, row.district,
             len(row.flags), row.state)
    return row


async def _own(session: AsyncSession, filing_id: int, user_key: str) -> Filing:
    row = await session.scalar(sa.select(Filing).where(Filing.id == filing_id)
                               .with_for_update())
    if row is None or row.user_key != user_key:
        raise not_found(filing_id)
    return row


async def resubmit(ctx: Filings, filing_id: int, body: Any, *, user_key: str,
                   notify: bool = True) -> Filing:
    """A returned filing, corrected (``body`` as for :func:`submit`), submitted again.

    Raises:
        FilingInvalid: bad fields; the USCC cannot change.
        FilingError: 404 not the firm's filing; 409 ``not_returned``.
    """
    data = validate_filing(body, today=ctx.today())
    async with ctx.hub.db.write() as session:
        row = await _own(session, filing_id, user_key)
        if data.uscc != row.uscc:
            raise FilingInvalid([FieldError(
                "uscc", "uscc_changed", "重新提交时不能更改统一社会信用代码，请另行申报。",
                "The USCC cannot change on resubmission; file a new filing instead.")])
        if row.state != "returned":
            raise FilingError(409, "not_returned",
                              "只有被退回修改的申报才能重新提交。",
                              "Only a filing returned for changes can be resubmitted.",
                              state=row.state)
        _fill(ctx, row, data)
        await _screened(session, ctx, row, notify=notify)
    log.info("filings.resubmitted id=%s flags=%d state=%s", row.id, len(row.flags), row.state)
    return row


async def withdraw(ctx: Filings, filing_id: int, *, user_key: str,
                   notify: bool = True) -> Filing:
    """The firm withdraws its open filing.

    Raises:
        FilingError: 404 not the firm's filing; 409 ``not_open``.
    """
    async with ctx.hub.db.write() as session:
        row = await _own(session, filing_id, user_key)
        if row.state not in OPEN_STATES:
            raise FilingError(409, "not_open", "这份申报已办结，不能撤回。",
                              "This filing is closed and cannot be withdrawn.",
                              state=row.state)
        await transition(session, ctx, row, "withdrawn", actor=FIRM, notify=notify)
    log.info("filings.withdrawn id=%s", row.id)
    return row
