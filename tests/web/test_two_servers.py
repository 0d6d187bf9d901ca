"""Two real ``tongguan serve`` processes on one PostgreSQL database: messages of one user
sent to both at once are serialized (every turn lands, none overwrites another)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa

from bot.assembly import open_hub
from bot.db.models import Conversation, Turn
from tests.conftest import ROOT, TEST_SECRET, make_settings
from tests.roles_support import grant_in


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def two_servers(postgres_url: str, tmp_path: Path) -> Iterator[list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGGUAN_")}
    env.update(PYTHONPATH=str(ROOT), TONGGUAN_SECRET_KEY=TEST_SECRET,
               TONGGUAN_DATABASE_URL=postgres_url, TONGGUAN_KEYS_DIR=str(tmp_path / "keys"),
               TONGGUAN_LOG_LEVEL="WARNING", TONGGUAN_FLOWS_RELOAD_SECONDS="0")
    ports = [_free_port(), _free_port()]
    procs = []
    for port in ports:  # one after the other: both would run the same migrations
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--host",
                                 "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(proc)
        asyncio.run(_wait_ready(f"http://127.0.0.1:{port}/healthz", proc))
    try:
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for proc in procs:
            proc.terminate()
            proc.communicate(timeout=60)


async def _wait_ready(url: str, proc: subprocess.Popen) -> None:
    async with aiohttp.ClientSession() as session:
        while proc.poll() is None:  # a server that dies says why below
            try:
                async with session.get(url) as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                await asyncio.sleep(0.2)
    raise AssertionError(proc.stderr.read().decode()[-2000:])


async def test_one_users_messages_to_two_servers_all_land(two_servers: list[str],
                                                          postgres_url: str, tmp_path: Path):
    async with aiohttp.ClientSession() as http:
        async with http.post(two_servers[0] + "/api/v1/sessions") as resp:
            created = await resp.json()
        # A community worker (the screening flow is theirs), granted before any turn.
        await grant_in(make_settings(postgres_url, tmp_path), created["user_key"])
        headers = {"Authorization": f"Bearer {created['token']}"}

        async def say(server: str, text: str) -> list[dict]:
            async with http.post(server + "/api/v1/chat", json={"text": text},
                                 headers=headers) as resp:
                assert resp.status == 200, await resp.text()
                return (await resp.json())["replies"]

        await say(two_servers[1], "楼栋排查")  # the token works on the other server too
        for i, text in enumerate(["江岸区", "花桥街一村社区", "9号楼", "跳过"]):
            await say(two_servers[i % 2], text)
        # Four counts asked one after another, sent all at once, alternating servers.
        replies = await asyncio.gather(*(say(two_servers[i % 2], str(n))
                                         for i, n in enumerate([11, 12, 13, 14])))
    asked = {r[0]["text"].split("\n")[0] for r in replies}
    assert len(asked) == 4  # each answer moved the flow one question on
    async with open_hub(make_settings(postgres_url, tmp_path)) as hub:
        async with hub.db.sessions() as session:
            row = (await session.scalars(sa.select(Conversation))).one()
            turns = await session.scalar(sa.select(sa.func.count()).select_from(Turn))
        state = hub.sealer.open(row.state, context=row.user_key.encode())
    assert (row.version, turns) == (9, 9)
    slots = state["stack"][0]["slots"]
    assert sorted(slots[k] for k in ("households_visited", "people_home", "people_quarantine",
                                     "people_returned")) == [11, 12, 13, 14]
