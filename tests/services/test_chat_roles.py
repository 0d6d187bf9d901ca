"""Staff roles of chat identities: the in-memory copy and when other processes' grants
and revocations reach it."""

from __future__ import annotations

import pytest

from bot.clock import Clock
from bot.db.database import make_database
from bot.services import chat_roles as module
from bot.services.chat_roles import MISS_SECONDS, REFRESH_SECONDS, ChatRoles, RoleError


class Clockwork:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_grants_reach_other_processes_in_time(database_url: str, monkeypatch) -> None:
    clock = Clockwork()
    monkeypatch.setattr(module.time, "monotonic", clock)
    db_a, db_b = make_database(database_url), make_database(database_url)
    try:
        server, cli = ChatRoles(db_a, Clock()), ChatRoles(db_b, Clock())
        assert await server.of("web:w1") == frozenset()
        assert await cli.grant("web:w1", "community_worker", by="test")
        assert not await cli.grant("web:w1", "community_worker", by="test")  # held already
        assert await server.of("web:w1") == frozenset()  # its copy is younger than a miss
        clock.now += MISS_SECONDS
        assert await server.of("web:w1") == {"community_worker"}  # an unknown key: read now
        assert await cli.revoke("web:w1", "community_worker", by="test")
        assert await server.of("web:w1") == {"community_worker"}  # a known key: the copy
        clock.now += REFRESH_SECONDS
        await server.of("web:w1")  # starts the background read …
        assert server._background is not None
        await server._background
        assert await server.of("web:w1") == frozenset()  # … and the revocation is seen
        await server.grant("web:w2", "store_staff", by="test")  # this process: at once
        assert await server.of("web:w2") == {"store_staff"}
        assert [(r.user_key, r.role) for r in await server.list()] == [("web:w2", "store_staff")]
    finally:
        await db_a.dispose()
        await db_b.dispose()


@pytest.mark.parametrize(("key", "role"), [("web:x", "janitor"), ("nocolon", "admin"),
                                           (":x", "admin"), ("web:", "admin")])
async def test_bad_grants_are_refused(database_url: str, key: str, role: str) -> None:
    db = make_database(database_url)
    try:
        with pytest.raises(RoleError):
            await ChatRoles(db, Clock()).grant(key, role, by="test")
    finally:
        await db.dispose()


async def test_a_grant_scoped_to_a_district(database_url: str) -> None:
    db = make_database(database_url)
    try:
        roles = ChatRoles(db, Clock())
        assert await roles.grant("web:w1", "community_worker", by="test", district="武昌区")
        assert await roles.district("web:w1") == "wuchang"  # stored as the map's code
        assert not await roles.grant("web:w1", "community_worker", by="test",
                                     district="wuchang")  # held just so already
        assert await roles.grant("web:w1", "community_worker", by="test", district="Hongshan")
        assert await roles.district("web:w1") == "hongshan"  # moved to another district
        await roles.grant("web:w1", "operator", by="test", district="jiangan")
        assert await roles.district("web:w1") is None  # two districts name none: ask
        await roles.grant("web:w2", "community_worker", by="test")
        assert await roles.district("web:w2") is None
        assert {(r.user_key, r.role, r.district) for r in await roles.list()} == {
            ("web:w1", "community_worker", "hongshan"), ("web:w1", "operator", "jiangan"),
            ("web:w2", "community_worker", None)}
        for bad in ("other", "其他区", "浦东新区"):
            with pytest.raises(RoleError, match="wuchang"):
                await roles.grant("web:w3", "community_worker", by="test", district=bad)
        assert await roles.of("web:w3") == frozenset()
    finally:
        await db.dispose()
