"""A turn whose process died: the claim's lease runs out and a retry takes the turn over
(or, with nobody retrying, the recovery job does, which also forgets old claims and
receipts); a claim still within its lease is waited for, not taken. SQLite and
PostgreSQL. (Two real servers and kill -9: tests/web/test_faults_kill_mid_turn.py.)"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from wechat_support import Running, serve

from bot.channels.wechat.dedupe import CLAIM_TTL, RUNNING_LEASE, DedupeStore
from bot.channels.wechat.pending import message_record
from bot.channels.wechat.testing.emulator import Message
from bot.channels.wechat.translate import dedupe_key, translate
from bot.channels.wechat.web import WECHAT_KEY
from bot.channels.wechat.wire import parse_xml, to_message
from bot.clock import FixedClock
from bot.config import Settings
from bot.services.outbox import OutboxWorker
from bot.services.receipts import recall, remember


async def claimed_by_a_dead_process(run: Running, message: Message, *, ago: timedelta) -> None:
    """``message`` claimed ``ago`` by a process that then died (never renewed, never
    settled)."""
    msg = to_message(parse_xml(message.xml))
    inbound = translate(msg).inbound
    assert inbound is not None
    dead = DedupeStore(run.hub.db, run.hub.sealer, FixedClock(run.hub.clock.now() - ago))
    claim = await dead.claim(dead.key_for(dedupe_key(msg)), message_record(inbound))
    assert claim.mine


async def test_a_retry_takes_over_the_turn_of_a_dead_process(running: Running) -> None:
    async with running.emulator("safe") as wx:
        msg = wx.message("o_dead", "text", Content="hello")
        await claimed_by_a_dead_process(running, msg, ago=RUNNING_LEASE + timedelta(seconds=1))
        d = await wx.deliver(msg)
        again = await wx.deliver(msg)
    assert d.text == again.text == "echo:hello" and d.attempts == 1
    [seen] = running.engine.seen  # run once, as resumed: a saved turn answers from its receipt
    assert seen.resumed and seen.receipt.startswith("wechat:")


async def test_a_claim_within_its_lease_is_waited_for_not_taken(settings: Settings) -> None:
    budget = dataclasses.replace(settings, wechat=dataclasses.replace(settings.wechat,
                                                                      reply_budget=0.3))
    async with serve(budget) as run, run.emulator("safe") as wx:
        msg = wx.message("o_alive", "text", Content="hello")
        await claimed_by_a_dead_process(run, msg, ago=timedelta(seconds=1))
        d = await wx.deliver(msg)
    assert d.body == "success" and run.engine.seen == []


async def test_the_recovery_job_pushes_a_turn_nobody_retries(running: Running,
                                                             fake_api) -> None:  # type: ignore[no-untyped-def]
    channel = running.server.app[WECHAT_KEY].channel  # type: ignore[index]
    async with running.emulator("safe") as wx:
        fresh = wx.message("o_lost", "text", Content="fresh")
        lost = wx.message("o_lost", "text", Content="lost")
    await claimed_by_a_dead_process(running, fresh, ago=RUNNING_LEASE)  # a retry may come
    await claimed_by_a_dead_process(running, lost, ago=3 * RUNNING_LEASE)
    async with running.hub.db.write() as session:  # receipts: ours an hour old, another's
        for key in ("wechat:old", "other:old"):
            remember(session, running.hub.sealer, key, [],
                     running.hub.clock.now() - CLAIM_TTL - timedelta(seconds=1))
    assert await channel.recover() == 1
    assert await recall(running.hub.db, running.hub.sealer, "wechat:old") is None  # purged
    assert await recall(running.hub.db, running.hub.sealer, "other:old") == []
    assert await channel.recover() == 0  # taken and settled: once
    assert await OutboxWorker(running.hub.outbox, running.hub.deliverers).run_once() == 1
    assert fake_api.messages == [{"touser": "o_lost", "msgtype": "text",
                                  "text": {"content": "echo:lost"}}]
    [seen] = running.engine.seen
    assert seen.resumed and seen.text == "lost"


async def test_a_passive_answer_goes_out_only_once_it_is_stored(running: Running) -> None:
    """Else a process killed between answering and storing leaves a claim the recovery
    job would run again and push: the resident would get the answer twice."""
    channel = running.server.app[WECHAT_KEY].channel  # type: ignore[index]
    repo = channel.dedupe.repo
    settle = repo.settle

    async def slow_settle(*args, **kwargs):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.3)
        return await settle(*args, **kwargs)

    repo.settle = slow_settle
    async with running.emulator("safe") as wx:
        msg = wx.message("o_store", "text", Content="hello")
        d = await wx.deliver(msg)
    assert d.text == "echo:hello"
    key = channel.dedupe.key_for(dedupe_key(to_message(parse_xml(msg.xml))))
    [(status, _, _)] = await repo.get(key)
    assert status == "done"
