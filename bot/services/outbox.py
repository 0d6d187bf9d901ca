"""The persistent outbox: messages sent later (reminders, review outcomes, slow replies).

A message is written in the caller's transaction (or its own). Push channels (WeChat):
a worker claims it with a lease, hands it to its channel's :class:`Deliverer` and marks
it sent, or schedules a retry with exponential backoff; a channel failing with passing
trouble is paused as a whole (see :class:`OutboxWorker`), and a message is given up
only when it cannot succeed or after :data:`MAX_AGE`. A worker killed mid-delivery
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
MAX_BACKOFF = timedelta(hours=1)  #: a message's own back-off between its tries, at most
#: a message still failing this long after it was queued is given up (WeChat's
#: customer-service window is 48 hours: later it would be refused anyway)
MAX_AGE = timedelta(hours=48)
FIRST_PAUSE = timedelta(seconds=1)  #: a channel's pause after a failure, doubling …
MAX_PAUSE = timedelta(seconds=60)  #: … up to this while it keeps failing
PULL_CHANNELS = frozenset({"web", "terminal"})  #: channels whose clients fetch their messages


class DeliveryError(TongguanError):
    """A delivery failed; ``retry`` says whether trying later may help."""

    def __init__(self, message: str, *, retry: bool = True, code: str = "error",
                 sent: int = 0) -> None:
        super().__init__(message)
        self.retry = retry
        self.code = code  #: the channel's error code (WeChat's errcode), for metrics
        #: replies of the message delivered before the failure (not sent again)
        self.sent = sent


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
    created_at: datetime | None = None


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
                                        row.attempts, row.created_at))
        return items

    async def release(self, item: OutboxItem, due_at: datetime) -> None:
        """Give a claimed message back untried (its channel is paused): pending again,
        due at ``due_at``, the claim not counted as a try."""
        async with self.db.write() as session:
            await session.execute(
                sa.update(OutboxMessage).where(OutboxMessage.id == item.id,
                                               OutboxMessage.status == "sending")
                .values(status="pending", due_at=due_at,
                        attempts=OutboxMessage.attempts - 1))

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

    async def mark_failed(self, item: OutboxItem, error: str, *, retry: bool,
                          sent: int = 0) -> None:
        """Schedule a retry with the message's own back-off (2, 4, 8 … s, at most
        :data:`MAX_BACKOFF`), or give up (status ``failed``): when it cannot succeed, or
        it has failed for :data:`MAX_AGE`. ``sent`` replies went out before the failure:
        only the rest are tried again."""
        now = self.clock.now()
        old = item.created_at is not None and now - item.created_at > MAX_AGE
        give_up = not retry or old
        backoff = min(timedelta(seconds=2 ** min(item.attempts, 20)), MAX_BACKOFF)
        values: dict[str, object] = dict(
            status="failed" if give_up else "pending",
            due_at=now if give_up else now + backoff, last_error=error[:300])
        if sent and not give_up:
            values["payload"] = self.sealer.seal([r.to_json() for r in item.replies[sent:]])
        async with self.db.write() as session:
            await session.execute(
                sa.update(OutboxMessage).where(OutboxMessage.id == item.id).values(**values))
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
    """Delivers due messages of push channels through their deliverers.

    A channel that fails with passing trouble (its API down or timing out) is paused:
    its other claimed messages go back untried, and nothing of it is claimed until the
    pause ends; then one message is tried (a probe). Each failure in a row doubles the
    pause, from :data:`FIRST_PAUSE` up to :data:`MAX_PAUSE`; a delivery that works ends
    it. So an outage costs about one call per pause, not one per queued message and
    retry, and nothing is given up meanwhile (a released message keeps its tries). Keep
    one worker per process (the job ``outbox.deliver`` does: it is a hub part).
    """

    def __init__(self, outbox: Outbox, deliverers: dict[str, Deliverer]) -> None:
        self.outbox = outbox
        self.deliverers = deliverers
        #: channel → (paused until, the pause): channels failing now
        self.paused: dict[str, tuple[datetime, timedelta]] = {}

    async def run_once(self) -> int:
        """Deliver what is due now; returns how many were handled (tried or released)."""
        now = self.outbox.clock.now()
        channels = {c for c in set(self.deliverers) - PULL_CHANNELS  # those fetch their own
                    if c not in self.paused or self.paused[c][0] <= now}
        if not channels:
            return 0
        probing = {c for c in channels if c in self.paused}
        items = await self.outbox.claim(channels=channels - probing) if channels - probing \
            else []
        for channel in sorted(probing):
            items += await self.outbox.claim(channels={channel}, limit=1)
        for item in items:
            pause = self.paused.get(item.channel)
            if pause is not None and pause[0] > self.outbox.clock.now():
                await self.outbox.release(item, pause[0])  # its channel failed just now
                continue
            try:
                await self.deliverers[item.channel].deliver(item.user_id, item.replies)
            except DeliveryError as err:
                metrics.DELIVERY_FAILURES.labels(item.channel, err.code).inc()
                if err.retry:
                    self._pause(item.channel)
                await self.outbox.mark_failed(item, str(err), retry=err.retry, sent=err.sent)
            except Exception as err:  # a deliverer bug must not stop the worker
                metrics.DELIVERY_FAILURES.labels(item.channel, "crash").inc()
                log.exception("outbox.delivery.crashed id=%s", item.id)
                await self.outbox.mark_failed(item, repr(err), retry=True)
            else:
                await self.outbox.mark_sent(item.id)
                if self.paused.pop(item.channel, None) is not None:
                    log.info("outbox.channel.resumed channel=%s", item.channel)
        return len(items)

    def _pause(self, channel: str) -> None:
        last = self.paused.get(channel)
        pause = FIRST_PAUSE if last is None else min(last[1] * 2, MAX_PAUSE)
        self.paused[channel] = (self.outbox.clock.now() + pause, pause)
        log.warning("outbox.channel.paused channel=%s seconds=%g", channel,
                    pause.total_seconds())

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
