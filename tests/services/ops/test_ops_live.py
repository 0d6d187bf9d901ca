"""One process's live view: summaries asked for at once while writes go on share a
snapshot read instead of reading once each, one after another (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json

from bot.services.ops import live as live_module
from bot.services.ops.counters import DECLARATIONS, Tally, count
from bot.services.ops.live import OpsLive
from bot.web.keys import HUB_KEY

ASKED = 10


async def test_summaries_asked_during_writes_share_one_read(client, monkeypatch):  # type: ignore[no-untyped-def]
    hub = client.app[HUB_KEY]
    live = OpsLive(hub)
    reads: list[object] = []
    real_refresh, real_version = live_module.refresh, live_module.version

    async def refresh(hub, state, day, now):  # type: ignore[no-untyped-def]
        reads.append(now)
        return await real_refresh(hub, state, day, now)

    arrived, everyone = [0], asyncio.Event()

    async def version(hub, day):  # type: ignore[no-untyped-def]
        arrived[0] += 1  # every summary is asked for before anything is read
        if arrived[0] == ASKED:
            everyone.set()
        await everyone.wait()
        # a declaration is counted before every look, so the version has always moved
        async with hub.db.write() as session:
            await count(session, hub.clock.now(), Tally(DECLARATIONS, district="wuchang"))
        return await real_version(hub, day)

    monkeypatch.setattr(live_module, "refresh", refresh)
    monkeypatch.setattr(live_module, "version", version)
    texts = await asyncio.gather(*(live.text(None) for _ in range(ASKED)))
    assert all(json.loads(t)["declarations"]["total"] >= 1 for t in texts)
    # the first read serves everyone who asked before it began (one read per ask before)
    assert len(reads) <= 2, len(reads)
    monkeypatch.setattr(live_module, "version", real_version)
    latest = json.loads(await live.text("wuchang"))  # nothing written since: all of them
    assert latest["declarations"]["total"] == ASKED
