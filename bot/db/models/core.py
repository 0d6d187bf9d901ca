"""Tables of the conversational core.

Identity data never sits here in clear: conversation state, turn texts, records,
profiles and handoff transcripts are sealed with :mod:`bot.privacy` (AES-GCM).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class Conversation(Base):
    """One user's conversation on one channel; ``state`` is the sealed dialogue state."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_key: Mapped[str] = mapped_column(sa.String(160), unique=True)
    lang: Mapped[str] = mapped_column(sa.String(8), default="zh")
    state: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    version: Mapped[int] = mapped_column(default=0)
    push_allowed: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Turn(Base):
    """Audit log: one row per handled message (sealed inbound, parse and replies)."""

    __tablename__ = "turns"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    flow_id: Mapped[str | None] = mapped_column(sa.String(80))
    intent: Mapped[str | None] = mapped_column(sa.String(80))
    sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)


class TurnReceipt(Base):
    """What was done for a message a channel may deliver twice (WeChat's MsgId), written
    in the same transaction as the doing: the turn's replies (key = the message's
    receipt, with the turn's save), or an action's outcome (key = receipt:flow:step, with
    the action's own writes). A message taken over after its process died finds them
    here instead of being run, or writing, twice. ``sealed`` holds the JSON, sealed."""

    __tablename__ = "turn_receipts"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ApiSession(Base):
    """A web / mini-program session; only the SHA-256 of the token is kept."""

    __tablename__ = "api_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxMessage(Base):
    """A message to send later: persisted first, delivered and retried by a worker."""

    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(20))
    user_id: Mapped[str] = mapped_column(sa.String(140))
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(160), unique=True)
    payload: Mapped[bytes] = mapped_column(sa.LargeBinary)
    status: Mapped[str] = mapped_column(sa.String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.String(300))


class Handoff(Base):
    """A request to talk to a human, with the sealed transcript of the turns before it.

    ``status``: ``open`` (waiting for staff), ``claimed`` (a staff member answers: the
    resident's messages go to them), ``closed``. The thread after the request is in
    ``handoff_messages`` (:mod:`bot.db.models.handoffs`).
    """

    __tablename__ = "handoffs"
    __table_args__ = (sa.Index("ix_handoffs_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_key: Mapped[str] = mapped_column(sa.String(160), index=True)
    flow_id: Mapped[str | None] = mapped_column(sa.String(80))
    status: Mapped[str] = mapped_column(sa.String(12), default="open")
    transcript: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lang: Mapped[str] = mapped_column(sa.String(8), default="zh", server_default="zh")
    #: the district the resident's flow named (staff scoped to a district see its requests)
    district: Mapped[str | None] = mapped_column(sa.String(40))
    #: since when the resident's oldest message no staff member has answered waits
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(80))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(sa.String(80))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdBlock(Base):
    """SQLite's stand-in for a sequence: the next id of ``name``'s table not yet handed
    out (see :mod:`bot.db.ids`; PostgreSQL uses the tables' own sequences)."""

    __tablename__ = "id_blocks"

    name: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    next_id: Mapped[int] = mapped_column(sa.BigInteger)


class Record(Base):
    """A flow's answers saved by the generic ``records.save`` action (sealed)."""

    __tablename__ = "records"

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[str] = mapped_column(sa.String(80), index=True)
    user_key: Mapped[str] = mapped_column(sa.String(160))
    lang: Mapped[str] = mapped_column(sa.String(8))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Profile(Base):
    """Profile fields a user agreed to keep for reuse (sealed)."""

    __tablename__ = "profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_key: Mapped[str] = mapped_column(sa.String(160), unique=True)
    consent: Mapped[bool] = mapped_column(default=False)
    data: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
