"""The outbox when a channel is down (SQLite and PostgreSQL): one probe per pause, the
pause doubling up to MAX_PAUSE, the other messages given back untried; nothing given up
before MAX_AGE; a message half delivered is not sent twice. (Real servers and a WeChat
API down for a minute: tests/web/test_faults_wechat_api_down.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bot.clock import FixedClock
from bot.hub import open_base_hub
from bot.messages import Reply
from bot.services.outbox import (
    FIRST_PAUSE,
    MAX_AGE,
    MAX_BACKOFF,
    MAX_PAUSE,
    DeliveryError,
    OutboxWorker,
)
from tests.conftest import make_settings


class Flaky:
    """A push channel that is down while ``down``; records what it was asked to send."""

    channel = "wechat"

    def __init__(self) -> None:
        self.down = True
        self.calls: list[tuple[str, list[str]]] = []
        self.sent: list[tuple[str, str]] = []
        self.fail_at: int | None = None  #: fail (once) at this reply of the next message

    async def deliver(self, user_id: str, replies: list[Reply]) -> None:
        self.calls.append((user_id, [r.text for r in replies]))
        if self.down:
            raise DeliveryError("HTTP 502", retry=True, code="-2")
        for n, reply in enumerate(replies):
            if n == self.fail_at:
                self.fail_at = None
                raise DeliveryError("timeout", retry=True, code="-2", sent=n)
            self.sent.append((user_id, reply.text))


async def _statuses(hub) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Messages by ``status/attempts``."""
    async with hub.db.sessions() as session:
        rows = await session.execute(sa.text("SELECT status, attempts FROM outbox"))
        out: dict[str, int] = {}
        for status, attempts in rows.all():
            out[f"{status}/{attempts}"] = out.get(f"{status}/{attempts}", 0) + 1
        return out


async def test_a_channel_down_is_probed_once_per_pause(database_url: str,
                                                      tmp_path: Path) -> None:
    clock = FixedClock(datetime(2020, 2, 10, 8, 0, tzinfo=UTC))
    async with open_base_hub(make_settings(database_url, tmp_path), clock=clock) as hub:
        flaky = Flaky()
        worker = OutboxWorker(hub.outbox, {"wechat": flaky})
        for n in range(10):
            await hub.outbox.enqueue(channel="wechat", user_id=f"o{n}",
                                     replies=[Reply.say(f"code {n}")])
        assert await worker.run_until_idle() == 10  # one tried, nine given back
        assert len(flaky.calls) == 1
        assert await _statuses(hub) == {"pending/1": 1, "pending/0": 9}
        pauses = []
        for _ in range(12):  # a long outage: every run while paused calls nothing
            assert await worker.run_until_idle() == 0
            pause = worker.paused["wechat"][1]
            pauses.append(pause)
            clock.current = worker.paused["wechat"][0]
            await worker.run_until_idle()  # the probe
        assert len(flaky.calls) == 13
        assert pauses[0] == FIRST_PAUSE and pauses[-1] == MAX_PAUSE
        assert all(b in (2 * a, MAX_PAUSE) for a, b in zip(pauses, pauses[1:], strict=False))
        assert "failed" not in str(await _statuses(hub))  # nothing given up
        flaky.down = False
        clock.current += timedelta(hours=2)  # past every message's own back-off
        await worker.run_until_idle()
        assert sorted(flaky.sent) == sorted((f"o{n}", f"code {n}") for n in range(10))
        assert "wechat" not in worker.paused


async def test_half_delivered_is_not_sent_twice_and_old_is_given_up(
        database_url: str, tmp_path: Path) -> None:
    clock = FixedClock(datetime(2020, 2, 10, 8, 0, tzinfo=UTC))
    async with open_base_hub(make_settings(database_url, tmp_path), clock=clock) as hub:
        flaky = Flaky()
        flaky.down, flaky.fail_at = False, 1
        worker = OutboxWorker(hub.outbox, {"wechat": flaky})
        await hub.outbox.enqueue(channel="wechat", user_id="o1",
                                 replies=[Reply.say("text"), Reply.say("image")])
        await worker.run_until_idle()
        clock.current += FIRST_PAUSE + timedelta(seconds=5)
        await worker.run_until_idle()
        assert flaky.sent == [("o1", "text"), ("o1", "image")]  # the text once
        flaky.down = True  # down for good: tried with back-off until MAX_AGE, then given up
        queued = clock.now()
        await hub.outbox.enqueue(channel="wechat", user_id="o2", replies=[Reply.say("late")])
        for _ in range(100):
            if "pending" not in str(await _statuses(hub)):
                break
            clock.current += MAX_BACKOFF
            worker.paused.clear()
            await worker.run_until_idle()
        tries = sum(user == "o2" for user, _ in flaky.calls)
        assert await _statuses(hub) == {"sent/2": 1, f"failed/{tries}": 1}
        assert clock.now() - queued > MAX_AGE and tries > 40
