"""The WeChat API down: two real ``tongguan serve`` processes on one PostgreSQL; residents
file health declarations through encrypted WeChat callbacks (their answers are passive
replies) while WeChat's customer-service message API, which pushes each resident's code
image, is down — answering HTTP 502, or not answering at all (the client times out) —
for :data:`OUTAGE` seconds (a minute by default, ``TONGGUAN_TEST_WECHAT_OUTAGE`` to
change it).

Pushes back off: the outbox probes the API about once per back-off step (1, 2, 4 … s)
instead of trying every queued message, and gives nothing up. Once the API is back every
resident's code image arrives, exactly once.
"""

from __future__ import annotations

import asyncio
import math
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from bot.channels.wechat.testing import FakeWechatApi
from bot.services.outbox import MAX_PAUSE
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

USERS = 20
SEND = "/cgi-bin/message/custom/send"
OUTAGE = float(os.environ.get("TONGGUAN_TEST_WECHAT_OUTAGE", "20"))
#: after the API is back, the last probe's pause and a poll or two
ARRIVAL_LIMIT = MAX_PAUSE.total_seconds() + 60.0


#: the fault tests run one after the other on one xdist worker: each runs two servers
#: under load, and together they would starve each other on a small machine
pytestmark = pytest.mark.xdist_group("faults")


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeWechatApi]:
    fake = FakeWechatApi(APP_ID, APP_SECRET)
    fake.base_url = await fake.start()  # type: ignore[attr-defined]
    yield fake
    await fake.stop()


@pytest.mark.parametrize("mode", ["5xx", "hang"])
async def test_pushes_back_off_while_wechat_is_down_and_all_arrive_once(
        mode: str, postgres_url: str, tmp_path: Path, fake_api: FakeWechatApi) -> None:
    env = server_env(postgres_url, tmp_path / "keys", **wechat_env(fake_api.base_url),  # type: ignore[attr-defined]
                     TONGGUAN_OUTBOX_POLL_SECONDS="0.5")
    servers = [Server("a", env, tmp_path), Server("b", env, tmp_path)]
    try:
        for server in servers:
            await server.start()
        balancer = Balancer(servers)
        openids = [f"o_api_{mode}_{i:03d}" for i in range(USERS)]
        fake_api.outage(SEND, OUTAGE, mode)
        down_until = time.monotonic() + OUTAGE

        async def resident(i: int, openid: str, http: aiohttp.ClientSession) -> None:
            wx = emulator(http)
            for text in declaration(resident_id(200 + i)):
                d = await deliver(wx, wx.message(openid, "text", Content=text), balancer,
                                  home=i % 2)
                assert not d.failed and d.reply is not None, (openid, text, d.problem)
            assert "绿码" in d.text

        async with aiohttp.ClientSession() as http:
            await asyncio.gather(*(resident(i, o, http) for i, o in enumerate(openids)))
        assert not fake_api.messages  # every code image waits for the API

        def images() -> int:
            return sum(m["msgtype"] == "image" for m in fake_api.messages)
        await wait_for(lambda: images() == USERS, "every code image pushed after the outage",
                       limit=down_until - time.monotonic() + ARRIVAL_LIMIT)
        # Exactly once: one image each, nothing else pushed, nothing given up.
        assert sorted(m["touser"] for m in fake_api.messages) == sorted(openids)
        conn = await asyncpg.connect(postgres_url.replace("+asyncpg", ""))
        try:
            statuses = dict(await conn.fetch(
                "SELECT status, count(*) FROM outbox GROUP BY status"))
        finally:
            await conn.close()
        assert statuses == {"sent": USERS}

        # Backed off: the calls the outage met came about once per back-off step (the
        # pause doubling from 1 s up to MAX_PAUSE), not once per message per retry.
        tries = [t for t, path in fake_api.refused if path == SEND]
        limit = (math.ceil(math.log2(OUTAGE + 1)) + math.ceil(OUTAGE / MAX_PAUSE.total_seconds())
                 + 2)
        print(f"mode={mode} outage={OUTAGE:g}s calls during it={len(tries)} (limit {limit:.0f}) "
              f"gaps={[round(b - a, 1) for a, b in zip(tries, tries[1:], strict=False)]}")
        assert 1 <= len(tries) <= limit, len(tries)
        assert all(s.alive for s in servers)
    finally:
        stop_all(servers, failed=sys.exc_info()[0] is not None)
