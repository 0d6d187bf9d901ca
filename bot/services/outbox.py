"""The persistent outbox: messages sent later (reminders, review outcomes, slow replies).

A message is written in the caller's transaction (or its own). Push channels (WeChat):
a worker claims it with a lease, hands it to its channel's :class:`Deliverer` and marks
it sent, or schedules a retry with exponential backoff. A worker killed mid-delivery
loses nothing: the lease runs out and another worker claims the message again.

Pull channels (:data:`PULL_CHANNELS`: the web chat, the terminal) fetch their own user's
messages with :meth:`Outbox.pull` and confirm what they have shown with
:meth:`Outbox.acknowledge`; a message handed out but never acknowledged is handed out
again on the next pull. Either way delivery is at-least-once (a ``dedupe_key`` stops the
same message from being queued twice; clients drop a repeated id).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.clock import Clock
from bot.db.database import Database, affected_rows
from bot.db.models import OutboxMessage
from bot.errors import TongguanError
from bot.messages import Reply
from bot.privacy import Sealer
from bot.services.outbox_repository import due, handed_out, outbox_repository

log = logging.getLogger("tongguan.outbox")

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(hours=1)
PULL_CHANNELS = frozenset({"web", "terminal"})  #: channels whose clients fetch their messages


class DeliveryError(TongguanError):
    """A delivery failed; ``retry`` says whether trying later may help."""

    def __init__(self, message: str, *, retry: bool = True, code: str = "error") -> None:
        super().__init__(message)
        self.retry = retry
        self.code = code  #: the channel's error code (WeChat's errcode), for metrics


class Deliverer(Protocol):
    """Sends queued replies to one user of one channel."""

    channel: str

    async def deliver(self, user_id: str, replies: list[Reply]) -> None:
        """Deliver or raise :class:`DeliveryError`."""


@dataclass(frozen=True)
class OutboxItem:
    """A claimed message, opened."""

    id: int
    channel: str
    user_id: str
    replies: list[Reply]
    attempts: int


class Outbox:
    """Queue, claim and settle outbound messages."""

    def __init__(self, db: Database, sealer: Sealer, clock: Clock) -> None:
        self.db = db
        self.sealer = sealer
        self.clock = clock
        self.repo = outbox_repository(db)  #: the outbox's SQL for this database

    async def enqueue(self, *, channel: str, user_id: str, replies: list[Reply],
                      due_at: datetime | None = None, dedupe_key: str | None = None,
                      session: AsyncSession | None = None) -> None:
        """Queue ``replies``; inside ``session`` when given (same transaction as the cause)."""
        now = self.clock.now()
        values = dict(channel=channel, user_id=user_id, dedupe_key=dedupe_key,
                      payload=self.sealer.seal([r.to_json() for r in replies]),
                      status="pending", attempts=0, due_at=due_at or now, created_at=now)
        stmt = self.repo.queue(values)
        if session is not None:
            await session.execute(stmt)
            return
        async with self.db.write() as own:
            await own.execute(stmt)

    async def claim(self, *, channels: set[str] | None = None, user_id: str | None = None,
                    limit: int = 20) -> list[OutboxItem]:
        """Claim due messages (pending, or sending with an expired lease)."""
        now = self.clock.now()
        if not await self.repo.any_due(now, channels, user_id):
            return []  # the common case for pollers: no write transaction at all
        query = self.repo.claimable(due(sa.select(OutboxMessage), now, channels, user_id)
                                    .order_by(OutboxMessage.due_at, OutboxMessage.id)
                                    .limit(limit))
        items: list[OutboxItem] = []
        async with self.db.write() as session:
            for row in (await session.scalars(query)).all():
                row.status = "sending"
                row.due_at = now + LEASE
                row.attempts += 1
                items.append(OutboxItem(row.id, row.channel, row.user_id,
                                        [Reply.from_json(r) for r in self.sealer.open(row.payload)],
                                        row.attempts))
        return items

    async def pull(self, channel: str, user_id: str, *, limit: int = 20) -> list[OutboxItem]:
        """The due, unacknowledged messages of one user of a pull channel, oldest first.

        Messages handed out for the first time become ``sending`` (``attempts`` counts
        hand-outs); they stay due, so they come again until :meth:`acknowledge` settles
        them.
        """
        if channel not in PULL_CHANNELS:
            raise ValueError(f"{channel!r} is not a pull channel")
        now = self.clock.now()
        if not await self.repo.any_due(now, {channel}, user_id):
            return []
        query = due(sa.select(OutboxMessage), now, {channel}, user_id).order_by(
            OutboxMessage.id).limit(limit)
        async with self.db.sessions() as session:
            rows = (await session.scalars(query)).all()
            items = [OutboxItem(row.id, row.channel, row.user_id,
                                [Reply.from_json(r) for r in self.sealer.open(row.payload)],
                                row.attempts + (row.status == "pending"))
                     for row in rows]
            fresh = [row.id for row in rows if row.status == "pending"]
        if fresh:
            async with self.db.write() as session:
                await session.execute(
                    sa.update(OutboxMessage)
                    .where(OutboxMessage.id.in_(fresh), OutboxMessage.status == "pending")
                    .values(status="sending", attempts=OutboxMessage.attempts + 1))
        return items

    async def acknowledge(self, channel: str, user_id: str, through: int) -> int:
        """Mark the user's handed-out messages with ids up to ``through`` sent (the client
        has shown them); messages never handed out stay queued. Returns how many."""
        if channel not in PULL_CHANNELS:
            raise ValueError(f"{channel!r} is not a pull channel")
        # Most polls have nothing to acknowledge: a read first.
        if not await self.repo.any_handed_out(channel, user_id, through):
            return 0
        async with self.db.write() as session:
            result = await session.execute(
                sa.update(OutboxMessage).where(*handed_out(channel, user_id, through))
                .values(status="sent", sent_at=self.clock.now(), last_error=None))
            return affected_rows(result)

    async def mark_sent(self, item_id: int) -> None:
        async with self.db.write() as session:
            await session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == item_id)
                                  .values(status="sent", sent_at=self.clock.now(),
                                          last_error=None))

    async def mark_failed(self, item: OutboxItem, error: str, *, retry: bool) -> None:
        """Schedule a retry with backoff, or give up (status ``failed``)."""
        now = self.clock.now()
        give_up = not retry or item.attempts >= MAX_ATTEMPTS
        backoff = min(timedelta(seconds=2 ** item.attempts), MAX_BACKOFF)
        async with self.db.write() as session:
            await session.execute(
                sa.update(OutboxMessage).where(OutboxMessage.id == item.id).values(
                    status="failed" if give_up else "pending",
                    due_at=now if give_up else now + backoff, last_error=error[:300]))
        log.warning("outbox.delivery.%s id=%s channel=%s attempts=%s error=%s",
                    "abandoned" if give_up else "retry", item.id, item.channel,
                    item.attempts, error[:120])

    async def counts(self) -> dict[str, int]:
        """Messages per status (for status pages and tests)."""
        async with self.db.sessions() as session:
            rows = await session.execute(sa.select(OutboxMessage.status, sa.func.count())
                                         .group_by(OutboxMessage.status))
            return {status: n for status, n in rows.all()}


async def backlog(db: Database) -> dict[str, tuple[int, datetime | None]]:
    """Messages not yet sent (pending or being sent) by channel: how many, the oldest's
    creation time (``GET /metrics``)."""
    async with db.sessions() as session:
        rows = await session.execute(
            sa.select(OutboxMessage.channel, sa.func.count(),
                      sa.func.min(OutboxMessage.created_at))  # typed as the column: UTC
            .where(OutboxMessage.status.in_(("pending", "sending")))
            .group_by(OutboxMessage.channel))
        return {channel: (n, oldest) for channel, n, oldest in rows.all()}


class OutboxWorker:
    """Delivers due messages of push channels through their deliverers."""

    def __init__(self, outbox: Outbox, deliverers: dict[str, Deliverer]) -> None:
        self.outbox = outbox
        self.deliverers = deliverers

    async def run_once(self) -> int:
        """Deliver what is due now; returns how many were handled."""
        channels = set(self.deliverers) - PULL_CHANNELS  # those fetch their own
        if not channels:
            return 0
        items = await self.outbox.claim(channels=channels)
        for item in items:
            try:
                await self.deliverers[item.channel].deliver(item.user_id, item.replies)
            except DeliveryError as err:
                metrics.DELIVERY_FAILURES.labels(item.channel, err.code).inc()
                await self.outbox.mark_failed(item, str(err), retry=err.retry)
            except Exception as err:  # a deliverer bug must not stop the worker
                metrics.DELIVERY_FAILURES.labels(item.channel, "crash").inc()
                log.exception("outbox.delivery.crashed id=%s", item.id)
                await self.outbox.mark_failed(item, repr(err), retry=True)
            else:
                await self.outbox.mark_sent(item.id)
        return len(items)

    async def run_until_idle(self, batches: int = 50) -> int:
        """Deliver until nothing is due (at most ``batches`` claims); returns how many
        were handled. The job runner calls it every ``outbox_poll_seconds``."""
        total = 0
        for _ in range(batches):
            handled = await self.run_once()
            total += handled
            if not handled:
                break
        return total
