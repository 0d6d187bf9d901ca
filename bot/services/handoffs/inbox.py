"""The staff side of handoffs: the inbox, a request's conversation, claim, reply, close.

Every function takes the staff member (:class:`StaffPrincipal`): one scoped to a
district sees only requests placed in it (a request outside answers 404, as if it did
not exist). Reading a conversation and every change are in the staff audit log, in the
transaction of the change. A reply and the claim and close notices go to the resident
through the outbox in that same transaction (WeChat: a customer-service message; the
web chat and the terminal fetch theirs).
"""

from __future__ import annotations

import unicodedata
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Handoff
from bot.db.models.handoffs import HandoffMessage
from bot.messages import Reply
from bot.services.handoffs import errors
from bot.services.handoffs.requests import CLAIMED, CLOSED, OPEN, STATES, Handoffs, locked
from bot.services.handoffs.texts import claimed_notice, text
from bot.services.staff import StaffPrincipal, audit_in

MAX_REPLY = 600  #: characters of one staff reply (WeChat takes 2,048 bytes of text)
MAX_LIST = 500
CLOSERS = frozenset({"admin"})  #: may close a request someone else claimed


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def summary(row: Handoff) -> dict[str, Any]:
    """A request as the inbox lists it (nothing sealed: no transcript, no text)."""
    return {"id": row.id, "state": row.status, "channel": row.user_key.partition(":")[0],
            "waiting_since": _iso(row.waiting_since), "created_at": _iso(row.created_at),
            "flow": row.flow_id, "lang": row.lang, "district": row.district,
            "claimed_by": row.claimed_by, "claimed_at": _iso(row.claimed_at),
            "closed_by": row.closed_by, "closed_at": _iso(row.closed_at)}


async def inbox(h: Handoffs, staff: StaffPrincipal, state: str,
                limit: int = 100) -> list[dict[str, Any]]:
    """Requests in ``state`` within the caller's district: waiting longest first (closed:
    newest first)."""
    if state not in STATES:
        raise errors.bad_text("状态须为 open、claimed 或 closed。",
                              "state is one of open, claimed, closed.")
    query = sa.select(Handoff).where(Handoff.status == state).limit(min(limit, MAX_LIST))
    if staff.district is not None:
        query = query.where(Handoff.district == staff.district)
    if state == CLOSED:
        query = query.order_by(Handoff.id.desc())
    else:
        query = query.order_by(Handoff.waiting_since.is_(None), Handoff.waiting_since,
                               Handoff.id)
    async with h.db.sessions() as session:
        return [summary(r) for r in (await session.scalars(query)).all()]


def _visible(row: Handoff | None, staff: StaffPrincipal) -> Handoff:
    if row is None or not staff.in_district(row.district):
        raise errors.not_found()
    return row


def _message(h: Handoffs, m: HandoffMessage) -> dict[str, Any]:
    return {"id": m.id, "at": m.at.isoformat(), "author": m.author, **h.sealer.open(m.body)}


async def _thread(h: Handoffs, session: AsyncSession, handoff_id: int,
                  after: int) -> list[dict[str, Any]]:
    rows = (await session.scalars(
        sa.select(HandoffMessage).where(HandoffMessage.handoff_id == handoff_id,
                                        HandoffMessage.id > after)
        .order_by(HandoffMessage.id).limit(500))).all()
    return [_message(h, m) for m in rows]


async def conversation(h: Handoffs, staff: StaffPrincipal, handoff_id: int) -> dict[str, Any]:
    """The request with the turns before it and its thread, unsealed (audited)."""
    async with h.db.write() as session:
        row = _visible(await session.get(Handoff, handoff_id), staff)
        audit_in(session, h.clock.now(), actor=staff.actor, action="handoff.read",
                 object=f"handoff:{handoff_id}")
        transcript = h.sealer.open(row.transcript)
        messages = await _thread(h, session, handoff_id, 0)
    return {**summary(row), "transcript": transcript, "messages": messages}


async def thread_after(h: Handoffs, staff: StaffPrincipal, handoff_id: int,
                       after: int) -> dict[str, Any] | None:
    """The thread's messages after id ``after`` and the request's state; None when there
    is nothing new (nothing is read then: no audit). New messages are audited."""
    async with h.db.sessions() as session:
        row = _visible(await session.get(Handoff, handoff_id), staff)
        newest = await session.scalar(sa.select(sa.func.max(HandoffMessage.id)).where(
            HandoffMessage.handoff_id == handoff_id))
    if not newest or newest <= after:
        return None
    async with h.db.write() as session:
        messages = await _thread(h, session, handoff_id, after)
        audit_in(session, h.clock.now(), actor=staff.actor, action="handoff.read",
                 object=f"handoff:{handoff_id}", detail={"after": after,
                                                         "count": len(messages)})
    return {**summary(row), "messages": messages}


async def claim(h: Handoffs, staff: StaffPrincipal, handoff_id: int) -> dict[str, Any]:
    """Take the request: the resident's messages come to the caller from now on. Claiming
    one's own claim again changes nothing."""
    async with h.db.write() as session:
        row = _visible(await locked(session, handoff_id), staff)
        if row.status == CLOSED:
            raise errors.closed()
        if row.status == CLAIMED:
            if row.claimed_by != staff.actor:
                raise errors.claimed_by_other(row.claimed_by or "?")
            return summary(row)
        now = h.clock.now()
        row.status, row.claimed_by, row.claimed_at = CLAIMED, staff.actor, now
        h.add_message(session, row.id, staff.actor, {"event": "claimed"}, now)
        await h.tell(session, row, [claimed_notice(row.lang)], "claimed")
        audit_in(session, now, actor=staff.actor, action="handoff.claim",
                 object=f"handoff:{row.id}")
        return summary(row)


def clean_reply(raw: object) -> str:
    """The reply text, NFC, without control characters (newlines kept), trimmed.

    Raises:
        HandoffError: not a string, empty, or longer than :data:`MAX_REPLY` (422).
    """
    if not isinstance(raw, str):
        raise errors.bad_text("请填写回复内容（text）。", "'text' must be a string.")
    text_ = "".join(ch for ch in unicodedata.normalize("NFC", raw)
                    if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    text_ = text_.strip()
    if not text_:
        raise errors.bad_text("回复内容不能为空。", "The reply is empty.")
    if len(text_) > MAX_REPLY:
        raise errors.bad_text(f"回复太长（{len(text_)} 字），一条最多 {MAX_REPLY} 字，请分开发送。",
                              f"The reply is too long ({len(text_)} characters); one holds "
                              f"at most {MAX_REPLY}. Send it in parts.")
    return text_


async def reply(h: Handoffs, staff: StaffPrincipal, handoff_id: int,
                raw: object) -> dict[str, Any]:
    """Send ``raw`` to the resident on their channel; the caller must hold the claim."""
    body = clean_reply(raw)
    async with h.db.write() as session:
        row = _visible(await locked(session, handoff_id), staff)
        if row.status == CLOSED:
            raise errors.closed()
        if row.status == OPEN:
            raise errors.not_claimed()
        if row.claimed_by != staff.actor:
            raise errors.claimed_by_other(row.claimed_by or "?")
        now = h.clock.now()
        message = h.add_message(session, row.id, staff.actor, {"text": body}, now)
        await session.flush()  # the message id names the outbox entry
        row.waiting_since = None
        await h.tell(session, row, [Reply.say(text("staff_says", row.lang, text=body))],
                     f"reply:{message.id}")
        audit_in(session, now, actor=staff.actor, action="handoff.reply",
                 object=f"handoff:{row.id}", detail={"message": message.id,
                                                     "chars": len(body)})
        return _message(h, message)


async def close(h: Handoffs, staff: StaffPrincipal, handoff_id: int) -> dict[str, Any]:
    """End the request: the bot answers the resident again and tells them so."""
    async with h.db.write() as session:
        row = _visible(await locked(session, handoff_id), staff)
        if row.status == CLOSED:
            raise errors.closed()
        if row.status == CLAIMED and row.claimed_by != staff.actor \
                and staff.role not in CLOSERS:
            raise errors.claimed_by_other(row.claimed_by or "?")
        now = h.clock.now()
        row.status, row.closed_by, row.closed_at, row.waiting_since = (
            CLOSED, staff.actor, now, None)
        h.add_message(session, row.id, staff.actor, {"event": "closed"}, now)
        await h.tell(session, row, [Reply.say(text("closed", row.lang))], "closed")
        audit_in(session, now, actor=staff.actor, action="handoff.close",
                 object=f"handoff:{row.id}")
        return summary(row)
