"""Reading filings: one filing (with history and flags), the firm's own, the reviewer's
queue (filters and a keyset cursor), and their JSON shapes.

Contact name, phone and prevention lead are opened only for the detail views (the firm's
own filings and one filing for a reviewer); list items leave them out. They are never
logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bot.db.models.filings import Filing, FilingFlag, FilingHistory
from bot.services.filings.catalog import DISTRICTS, INDUSTRIES, STATES, values
from bot.services.filings.context import Filings
from bot.services.filings.errors import FieldError, FilingInvalid, not_found
from bot.services.filings.review import in_scope
from bot.services.filings.transitions import history_of
from bot.services.notice_links import notice_url

PAGE = 50  #: queue items per page by default (``limit`` up to MAX_PAGE)
MAX_PAGE = 200


def filing_json(ctx: Filings, row: Filing, *, private: bool = True) -> dict[str, Any]:
    """The filing as the API shows it; ``version`` is what a decision sends back."""
    data: dict[str, Any] = {
        "id": row.id, "state": row.state, "version": row.version, "uscc": row.uscc,
        "firm_name": row.firm_name, "industry": row.industry, "district": row.district,
        "street": row.street, "address": row.address,
        "staff_total": row.staff_total, "staff_returning": row.staff_returning,
        "staff_origins": row.details.get("staff_origins", []),
        "staff_risk_14d": row.staff_risk_14d, "isolation_rooms": row.isolation_rooms,
        "supplies_days": row.details.get("supplies_days", {}),
        "planned_start": row.planned_start.isoformat(),
        "capacity_percent": row.capacity_percent, "needs": row.details.get("needs", []),
        "flags": row.flags, "notice_no": row.notice_no, "reason": row.reason,
        "created_at": row.created_at.isoformat(), "updated_at": row.updated_at.isoformat()}
    if private:
        data.update(ctx.hub.sealer.open(row.private, context=b"filing"))
    return data


def history_json(rows: list[FilingHistory]) -> list[dict[str, Any]]:
    return [{"state": h.state, "actor": h.actor, "at": h.at.isoformat(), "reason": h.reason,
             "version": h.version} for h in rows]


async def get_filing(ctx: Filings, filing_id: int, *, scope: str | None = None,
                     user_key: str | None = None) -> dict[str, Any]:
    """One filing with ``history`` — a reviewer's (within ``scope``) or the firm's own
    (``user_key``).

    Raises:
        FilingError: 404 no such filing, or not visible to the caller.
    """
    async with ctx.hub.db.sessions() as session:
        row = await session.get(Filing, filing_id)
        if not in_scope(row, scope) or (user_key is not None and row is not None
                                        and row.user_key != user_key):
            raise not_found(filing_id)
        assert row is not None
        history = await history_of(session, row.id)
    return {**filing_json(ctx, row), "history": history_json(history)}


async def mine(ctx: Filings, user_key: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """The firm's filings, newest first, each with its history (and, once approved, the
    ``notice_url`` of its printable notice)."""
    async with ctx.hub.db.sessions() as session:
        rows = (await session.scalars(sa.select(Filing).where(Filing.user_key == user_key)
                                      .order_by(Filing.id.desc()).limit(limit))).all()
        out = []
        for row in rows:
            item = {**filing_json(ctx, row),
                    "history": history_json(await history_of(session, row.id))}
            if row.state == "approved":  # the firm's own printable notice (a secret link)
                item["notice_url"] = notice_url(ctx.hub, row.id)
            out.append(item)
    return out


async def latest_of(ctx: Filings, user_key: str) -> Filing | None:
    """The firm's latest filing (prefills the chat flow), or None."""
    async with ctx.hub.db.sessions() as session:
        return await session.scalar(sa.select(Filing).where(Filing.user_key == user_key)
                                    .order_by(Filing.id.desc()).limit(1))


@dataclass(frozen=True)
class QueueQuery:
    """The reviewer queue's filters; every one optional. ``cursor`` is the
    ``next_cursor`` of the page before (the last id seen: the queue runs oldest first)."""

    state: str | None = None
    district: str | None = None
    industry: str | None = None
    flag: str | None = None
    q: str | None = None
    cursor: int | None = None
    limit: int = PAGE

    @classmethod
    def from_params(cls, params: dict[str, str]) -> QueueQuery:
        """From query-string values.

        Raises:
            FilingInvalid: an unknown state/district/industry, a bad cursor or limit.
        """
        errors = []
        checks = (("state", frozenset(STATES)), ("district", values(DISTRICTS)),
                  ("industry", values(INDUSTRIES)))
        for name, allowed in checks:
            if params.get(name) and params[name] not in allowed:
                errors.append(FieldError(name, "not_allowed", f"{name} 取值无效。",
                                         f"{name} must be one of: {', '.join(sorted(allowed))}."))
        numbers: dict[str, int | None] = {}
        for name, lo, hi in (("cursor", 0, 2 ** 62), ("limit", 1, MAX_PAGE)):
            raw = params.get(name)
            try:
                numbers[name] = int(raw) if raw else None
                if numbers[name] is not None and not lo <= numbers[name] <= hi:  # type: ignore[operator]
                    raise ValueError(raw)
            except ValueError:
                errors.append(FieldError(name, "not_integer", f"{name} 无效。",
                                         f"{name} must be a whole number {lo}-{hi}."))
        q = (params.get("q") or "").strip()[:100]
        if errors:
            raise FilingInvalid(errors)
        return cls(state=params.get("state") or None, district=params.get("district") or None,
                   industry=params.get("industry") or None,
                   flag=(params.get("flag") or "")[:40] or None, q=q or None,
                   cursor=numbers["cursor"], limit=numbers["limit"] or PAGE)


def filtered(stmt: Any, query: QueueQuery, scope: str | None) -> Any:
    """``stmt`` with the queue's filters but the state and the cursor, within ``scope``."""
    if scope is not None:
        stmt = stmt.where(Filing.district == scope)
    if query.district:
        stmt = stmt.where(Filing.district == query.district)
    if query.industry:
        stmt = stmt.where(Filing.industry == query.industry)
    if query.flag:
        stmt = stmt.where(sa.exists().where(FilingFlag.filing_id == Filing.id,
                                            FilingFlag.flag == query.flag))
    if query.q:
        stmt = stmt.where(sa.or_(sa.func.lower(Filing.firm_name).contains(
            query.q.lower(), autoescape=True), Filing.uscc == query.q.upper()))
    return stmt


async def state_counts(ctx: Filings, query: QueueQuery, *, scope: str | None
                       ) -> dict[str, int]:
    """Filings per state (every state, zeros too) under the queue's other filters."""
    stmt = filtered(sa.select(Filing.state, sa.func.count()), query, scope)
    async with ctx.hub.db.sessions() as session:
        found = {state: n for state, n in await session.execute(stmt.group_by(Filing.state))}
    return {state: int(found.get(state, 0)) for state in STATES}


async def queue(ctx: Filings, query: QueueQuery, *, scope: str | None
                ) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the reviewer's queue (no contact data) and the next cursor, or None."""
    stmt = filtered(sa.select(Filing), query, scope)
    if query.state:
        stmt = stmt.where(Filing.state == query.state)
    if query.cursor is not None:
        stmt = stmt.where(Filing.id > query.cursor)
    stmt = stmt.order_by(Filing.id).limit(query.limit + 1)
    async with ctx.hub.db.sessions() as session:
        rows = list((await session.scalars(stmt)).all())
    more = len(rows) > query.limit
    rows = rows[:query.limit]
    items = [filing_json(ctx, r, private=False) for r in rows]
    return items, (str(rows[-1].id) if more and rows else None)
