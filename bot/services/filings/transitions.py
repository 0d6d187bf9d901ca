"""One transition of a filing, inside the caller's transaction: the new state, the
version, the open-USCC marker, an append-only history row, a notice number on approval,
the city's resumption counters and the firm's chat notice."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.dialects import upsert_insert
from bot.db.models.filings import Filing, FilingHistory, FilingNoticeSeq
from bot.services.filings.catalog import OPEN_STATES
from bot.services.filings.context import Filings
from bot.services.filings.notices import queue_notice
from bot.services.filings.progress import record_progress
from bot.services.notice_links import notice_url
from bot.services.ops.counters import Tally, count, filing_metric


async def next_notice_no(session: AsyncSession, ctx: Filings, district: str) -> str:
    """The district's next approval-notice number, e.g. ``JIANGAN-00001`` (one counter
    row per district, bumped atomically in the caller's transaction)."""
    stmt = upsert_insert(ctx.hub.db, FilingNoticeSeq).values(district=district, last=1)
    stmt = stmt.on_conflict_do_update(index_elements=["district"],
                                      set_={"last": FilingNoticeSeq.last + 1})
    last = (await session.execute(stmt.returning(FilingNoticeSeq.last))).scalar_one()
    return f"{district.upper()}-{last:05d}"


async def transition(session: AsyncSession, ctx: Filings, row: Filing, state: str, *,
                     actor: str, reason: str | None = None, notify: bool = True) -> None:
    """Move ``row`` to ``state`` and record it (the row is flushed, so it has an id).

    ``notify=False`` only when the firm is told in the answer itself (the chat).
    """
    now = ctx.hub.clock.now()
    row.state = state
    row.version = (row.version or 0) + 1
    row.open_uscc = row.uscc if state in OPEN_STATES else None
    row.updated_at = now
    row.reason = reason
    if state == "approved" and row.notice_no is None:
        row.notice_no = await next_notice_no(session, ctx, row.district)
    session.add(row)
    await session.flush()
    session.add(FilingHistory(filing_id=row.id, at=now, state=state, actor=actor[:120],
                              reason=reason, version=row.version))
    await record_progress(session, ctx.hub, row)  # the city's counters, same transaction
    await count(session, now, Tally(filing_metric(state), district=row.district,
                                    street=row.street or ""))  # the operations view
    if notify:
        link = notice_url(ctx.hub, row.id) if state == "approved" else None
        await queue_notice(session, ctx.hub.outbox, row, link)
    await session.flush()


async def history_of(session: AsyncSession, filing_id: int) -> list[FilingHistory]:
    return list((await session.scalars(sa.select(FilingHistory).where(
        FilingHistory.filing_id == filing_id).order_by(FilingHistory.id))).all())
