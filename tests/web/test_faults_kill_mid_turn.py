"""kill -9 of a server mid-turn, with WeChat retrying: two real ``tongguan serve``
processes on one PostgreSQL behind an emulated balancer; residents file health
declarations through encrypted WeChat callbacks, and WeChat retries a message it got no
answer to (the same MsgId, 5 s after the try began, 3 tries), the balancer sending the
retry to a live server. While turns are in flight, one server after the other is killed
with SIGKILL and started again.

Every message must be answered exactly once — passively, or (answered ``success``) by one
customer-service push — and must run exactly one turn (the turn log has one row per
message sent, none twice, none lost); every declaration confirmed must be in the
database, once, with its code image pushed once — save a push WeChat's API took in just
as the process pushing it was killed (the API has no idempotency key: at most one such
per kill).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from bot.channels.wechat.testing import FakeWechatApi, WechatEmulator
from tests.web.faults_support import (
    APP_ID,
    APP_SECRET,
    Balancer,
    Server,
    declaration,
    deliver,
    emulator,
    resident_id,
    server_env,
    stop_all,
    wait_for,
    wechat_env,
)

USERS = 40
KILLS = 2  #: servers killed one after the other, mid-turn
#: between two kills: WeChat's retries of a message (3 tries, 5 s apart) outlast one
#: crash, not a crash at every try
KILL_SPACING = 15.0
PUSH_LIMIT = 150.0  #: a pushed answer arrives within this (outbox lease 60 s + job lease)


#: the fault tests run one after the other on one xdist worker: each runs two servers
#: under load, and together they would starve each other on a small machine
pytestmark = pytest.mark.xdist_group("faults")


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeWechatApi]:
    fake = FakeWechatApi(APP_ID, APP_SECRET)
    fake.base_url = await fake.start()  # type: ignore[attr-defined]
    yield fake
    await fake.stop()


def _pushed(fake: FakeWechatApi, openid: str, kind: str) -> list[dict]:
    return [m for m in fake.messages if m["touser"] == openid and m["msgtype"] == kind]


async def test_kill_9_mid_turn_answers_every_message_once(
        postgres_url: str, tmp_path: Path, fake_api: FakeWechatApi) -> None:
    env = server_env(postgres_url, tmp_path / "keys", **wechat_env(fake_api.base_url),  # type: ignore[attr-defined]
                     TONGGUAN_JOBS_LEASE_SECONDS="2", TONGGUAN_OUTBOX_POLL_SECONDS="0.5",
                     TONGGUAN_LOG_LEVEL="INFO")
    servers = [Server("a", env, tmp_path), Server("b", env, tmp_path)]
    for server in servers:  # one after the other: both would run the migrations
        await server.start()
    balancer = Balancer(servers)
    openids = [f"o_fault_{i:03d}" for i in range(USERS)]
    answers: dict[str, list[str]] = {o: [] for o in openids}
    retried = late = 0
    running = USERS
    kills: list[tuple[str, int]] = []
    rounds = dict.fromkeys(openids, 0)
    late_at: list[tuple[str, int, str, int, str]] = []
    killer_done = False

    async def user(i: int, openid: str, http: aiohttp.ClientSession) -> None:
        """Declarations one after the other (each replaces the last one's code) until
        the kills are over."""
        nonlocal running
        wx = emulator(http)
        try:
            while not rounds[openid] or not killer_done:
                for n, text in enumerate(declaration(resident_id(i))):
                    answers[openid].append(await say(wx, i, openid, n, text))
                rounds[openid] += 1
                # The code's image is pushed: looked at before the next declaration
                # replaces the code (a replaced code's image is gone: its text is sent).
                await wait_for(lambda: len(_pushed(fake_api, openid, "image")) >= rounds[openid],
                               f"{openid}: the code image of declaration {rounds[openid]}",
                               limit=PUSH_LIMIT)
        finally:
            running -= 1

    async def say(wx: WechatEmulator, i: int, openid: str, n: int, text: str) -> str:
        nonlocal retried, late
        texts_before = len(_pushed(fake_api, openid, "text"))
        d = await deliver(wx, wx.message(openid, "text", Content=text), balancer, home=i % 2)
        assert not d.failed, f"{openid} message {n} ({text}): {d.problem}"
        retried += d.attempts > 1
        if d.reply is not None:
            return d.text
        late += 1  # answered `success`: the answer comes as a push
        late_at.append((openid, n, text, d.attempts, d.problem))
        pushes = await wait_for(
            lambda: _pushed(fake_api, openid, "text")[texts_before:],
            f"{openid} message {n} ({text}) answered `success`, never pushed",
            limit=PUSH_LIMIT)
        return str(pushes[0]["text"]["content"])

    async def killer() -> None:
        nonlocal killer_done
        try:
            await kill_each()
        finally:
            killer_done = True

    async def kill_each() -> None:
        await asyncio.sleep(3.0)  # warm: turns well under way
        for k in range(KILLS):
            victim = servers[k % 2]
            while running and balancer.in_flight.get(victim.name, 0) < 2:
                await asyncio.sleep(0.005)
            if not running:
                return
            kills.append((victim.name, balancer.in_flight[victim.name]))
            victim.kill()
            killed = asyncio.get_running_loop().time()
            await asyncio.sleep(0.5)
            await victim.start()
            await asyncio.sleep(killed + KILL_SPACING - asyncio.get_running_loop().time())

    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            await asyncio.gather(killer(), *(user(i, o, http) for i, o in enumerate(openids)))
        print(f"kills={kills} retried={retried} late={late}")
        assert len(kills) == KILLS, f"only {kills} kills: the users finished first"
        assert retried, "no message needed a retry: the kills hit no turn"

        conn = await asyncpg.connect(postgres_url.replace("+asyncpg", ""))
        try:
            async def outbox_settled() -> bool:
                return not await conn.fetchval(
                    "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')")
            await wait_for(outbox_settled, "the outbox delivered everything", limit=PUSH_LIMIT)
            turns = dict(await conn.fetch(
                "SELECT c.user_key, count(t.id) FROM conversations c "
                "LEFT JOIN turns t ON t.conversation_id = c.id GROUP BY c.user_key"))
            declared = dict(await conn.fetch(
                "SELECT user_key, count(*) FROM health_declarations GROUP BY user_key"))
            rows: dict[str, list] = {}
            for r in await conn.fetch("SELECT user_key, id, created_at FROM health_declarations "
                                      "ORDER BY id"):
                rows.setdefault(r[0], []).append((r[1], str(r[2])))
            failed = await conn.fetchval("SELECT count(*) FROM outbox WHERE status = 'failed'")
            outbox = await conn.fetch("SELECT id, user_id, status, attempts, last_error, "
                                      "dedupe_key FROM outbox ORDER BY id")
        finally:
            await conn.close()
        steps = len(declaration(resident_id(0)))
        for openid in openids:
            key, done = f"wechat:{openid}", rounds[openid]
            assert len(answers[openid]) == steps * done
            assert all("绿码" in answers[openid][steps * r - 1] for r in range(1, done + 1))
            assert turns.get(key) == steps * done, (openid, turns.get(key), answers[openid])
            assert declared.get(key) == done, (openid, done, declared.get(key), rows.get(key))
        # Every answer pushed arrived (each code image; each message answered `success`),
        # and nothing else: no message both answered and pushed, none pushed twice —
        # except what WeChat's API took in while the process pushing it was killed
        # before it could record it (at-least-once: the API has no idempotency key).
        # Such a message was claimed again after its lease ran out (attempts > 1); the
        # runner pushes one message at a time, so a kill leaves at most one.
        extras = 0
        for openid in openids:
            done, images = rounds[openid], len(_pushed(fake_api, openid, "image"))
            texts = [m["text"]["content"] for m in _pushed(fake_api, openid, "text")]
            late_here = sum(who == openid for who, *_ in late_at)
            again = sum(r["attempts"] > 1 for r in outbox if r["user_id"] == openid)
            assert images >= done and len(texts) >= late_here, (openid, images, texts)
            extra = images - done + len(texts) - late_here
            assert extra <= again, (openid, texts, late_at, answers[openid],
                                    [dict(r) for r in outbox if r["user_id"] == openid])
            extras += extra
        print(f"pushed again after a kill: {extras}")
        assert extras <= KILLS
        assert failed == 0
    finally:
        stop_all(servers, failed=sys.exc_info()[0] is not None)
