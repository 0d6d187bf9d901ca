"""PostgreSQL restarted under load: two real ``tongguan serve`` processes on a private
PostgreSQL cluster (never the shared one), residents filing health declarations through
the JSON chat API without pause. PostgreSQL is stopped (``pg_ctl stop -m fast``, as a
restart does) for :data:`OUTAGE` seconds and started again; the servers are not touched.

While it is down every request fails fast: it is answered 503 with ``Retry-After`` and
a zh/en message while PostgreSQL is still down (none hangs until it is back, none is a
500 or a dropped connection), and ``/readyz`` says 503. Once it is back both servers
recover by themselves: ``/readyz`` 200, every resident finishes a declaration, and every
declaration a resident was told was confirmed (green code) is in the database with a
code page that works.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from tests.web.faults_support import (
    PrivatePostgres,
    Server,
    declaration,
    private_postgres,
    resident_id,
    server_env,
    stop_all,
    wait_for,
)

USERS = 16
OUTAGE = 6.0  #: seconds PostgreSQL stays down
RECOVERY_LIMIT = 120.0  #: readiness and a finished declaration after the restart


#: the fault tests run one after the other on one xdist worker: each runs two servers
#: under load, and together they would starve each other on a small machine
pytestmark = pytest.mark.xdist_group("faults")


@pytest.fixture
def cluster() -> Iterator[PrivatePostgres]:
    with private_postgres() as pg:
        yield pg


@dataclass
class Answer:
    """One request and its answer (loop times)."""

    path: str
    sent: float
    answered: float
    status: int  #: 0: no HTTP answer (connection refused, cut)
    body: dict | None
    retry_after: str | None
    problem: str = ""


@dataclass
class Resident:
    n: int
    token: str = ""
    user_key: str = ""
    confirmed: list[str] = field(default_factory=list)  #: code page paths, in order
    after_restart: int = 0  #: declarations confirmed after PostgreSQL came back


async def test_postgres_restart_fails_fast_and_recovers(cluster: PrivatePostgres,
                                                        tmp_path: Path) -> None:
    admin = await asyncpg.connect(cluster.url().replace("+asyncpg", ""))
    await admin.execute("CREATE DATABASE tongguan")
    await admin.close()
    env = server_env(cluster.url("tongguan"), tmp_path / "keys",
                     TONGGUAN_JOBS_LEASE_SECONDS="2")
    servers = [Server("a", env, tmp_path), Server("b", env, tmp_path)]
    loop = asyncio.get_running_loop()
    answers: list[Answer] = []
    down_at = up_at = 0.0  # PostgreSQL stopped (pg_ctl stop returned) / start begins
    restarted = asyncio.Event()
    residents = [Resident(i) for i in range(USERS)]
    try:
        for server in servers:
            await server.start()

        async def call(http: aiohttp.ClientSession, server: Server, path: str,
                       body: dict | None = None, token: str = "") -> Answer:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            sent = loop.time()
            try:
                async with http.post(server.base + path, json=body, headers=headers) as resp:
                    data = await resp.json(content_type=None)
                    answer = Answer(path, sent, loop.time(), resp.status, data,
                                    resp.headers.get("Retry-After"))
            except (aiohttp.ClientError, ValueError) as err:
                answer = Answer(path, sent, loop.time(), 0, None, None, repr(err))
            answers.append(answer)
            return answer

        async def until_ok(http: aiohttp.ClientSession, server: Server, path: str,
                           body: dict | None = None, token: str = "") -> dict:
            """The same request again after a 503 (a short pause: pressure on purpose)."""
            while True:
                answer = await call(http, server, path, body, token)
                if answer.status in (200, 201):
                    assert answer.body is not None
                    return answer.body
                assert answer.status == 503, answer  # anything else fails the test below
                await asyncio.sleep(0.2)

        async def resident(r: Resident, http: aiohttp.ClientSession) -> None:
            server = servers[r.n % 2]
            session = await until_ok(http, server, "/api/v1/sessions")
            r.token, r.user_key = session["token"], session["user_key"]
            while not restarted.is_set() or not r.after_restart:
                was_up = restarted.is_set()
                replies: list[dict] = []
                for text in declaration(resident_id(100 + r.n)):
                    replies = (await until_ok(http, server, "/api/v1/chat", {"text": text},
                                              r.token))["replies"]
                assert "绿码" in replies[0]["text"], replies
                link = next(x for x in replies if x["type"] == "link")["url"]
                r.confirmed.append("/" + link.split("://", 1)[1].split("/", 1)[1])
                r.after_restart += was_up

        async def readiness() -> list[tuple[float, str, int]]:
            seen = []
            async with aiohttp.ClientSession() as http:
                while not all(r.after_restart for r in residents):
                    for server in servers:
                        async with http.get(server.base + "/readyz") as resp:
                            seen.append((loop.time(), server.name, resp.status))
                    await asyncio.sleep(0.25)
            return seen

        async def restart() -> None:
            nonlocal down_at, up_at
            await asyncio.sleep(3.0)  # load under way
            await asyncio.to_thread(cluster.stop, "fast")
            down_at = loop.time()
            await asyncio.sleep(OUTAGE)
            up_at = loop.time()
            await asyncio.to_thread(cluster.start)
            restarted.set()

        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            ready, *_ = await asyncio.gather(
                readiness(), restart(),
                *(resident(r, http) for r in residents))
        for server in servers:
            await wait_for(_ready(server), f"{server.name} /readyz 200 after the restart",
                           limit=RECOVERY_LIMIT)

        # Fail fast: every answer a 200 or a 503 with Retry-After and a zh/en message;
        # every request sent while PostgreSQL was down answered before it came back.
        bad = [a for a in answers if a.status not in (200, 201, 503)]
        assert not bad, bad[:5]
        refused = [a for a in answers if a.status == 503]
        assert refused, "no request met the outage"
        for a in refused:
            assert a.retry_after and int(a.retry_after) > 0, a
            assert a.body and a.body.get("message") and a.body.get("message_zh"), a
        during = [a for a in answers if down_at <= a.sent <= up_at - 1.0]
        assert during and all(a.answered < up_at for a in during), \
            [a for a in during if a.answered >= up_at][:5]
        assert all(a.status == 503 for a in during), [a for a in during if a.status != 503][:5]
        # /readyz told the balancer: 503 while down, 200 again after.
        assert any(s == 503 for t, _, s in ready if down_at <= t <= up_at)
        assert {name for t, name, s in ready if t > up_at and s == 200} == {"a", "b"}

        # Nothing confirmed is lost: each declaration a resident was told of is in the
        # database, and each code page they were shown answers: the last one valid,
        # the earlier ones revoked by the next declaration (410), none unknown (404).
        conn = await asyncpg.connect(cluster.url("tongguan").replace("+asyncpg", ""))
        try:
            declared = dict(await conn.fetch(
                "SELECT user_key, count(*) FROM health_declarations GROUP BY user_key"))
        finally:
            await conn.close()
        async with aiohttp.ClientSession() as http:
            for r in residents:
                assert declared.get(r.user_key, 0) >= len(r.confirmed), r
                for n, page in enumerate(r.confirmed, 1):
                    async with http.get(servers[n % 2].base + page + "/current.json") as resp:
                        assert resp.status == (200 if n == len(r.confirmed) else 410), \
                            (r.n, n, await resp.text())
        print(f"requests={len(answers)} refused={len(refused)} during_outage={len(during)} "
              f"declarations={sum(len(r.confirmed) for r in residents)}")
        for server in servers:
            assert server.alive  # recovered without a restart
    finally:
        stop_all(servers, failed=sys.exc_info()[0] is not None)
        if sys.exc_info()[0] is not None:
            print(cluster.server_log())


def _ready(server: Server):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        async with aiohttp.ClientSession() as http, http.get(server.base + "/readyz") as resp:
            return resp.status == 200
    return check
