"""On PostgreSQL, under concurrency: one open filing per USCC, one decision per version."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

from filing_support import START, body
from staff_support import staff_login

from bot.clock import FixedClock
from bot.web.app import init_app
from bot.web.auth import create_session
from bot.web.keys import HUB_KEY


async def test_concurrent_filings_and_decisions(postgres_url: str, tmp_path: Path,
                                                aiohttp_client: Any) -> None:
    from tests.conftest import make_settings

    settings = dataclasses.replace(make_settings(postgres_url, tmp_path), database_pool_size=8)
    client = await aiohttp_client(init_app(settings, clock=FixedClock(START), background=False))
    hub = client.server.app[HUB_KEY]
    sessions = [await create_session(hub) for _ in range(12)]
    headers = [{"Authorization": f"Bearer {token}"} for token, _ in sessions]
    resps = await asyncio.gather(*(client.post("/api/v1/filings", json=body(1), headers=h)
                                   for h in headers))
    statuses = sorted(r.status for r in resps)
    assert statuses == [201] + [409] * 11
    [won] = [await r.json() for r in resps if r.status == 201]
    for r in resps:
        if r.status == 409:
            assert (await r.json())["open_filing_id"] == won["id"]
    rev = await staff_login(client, "rev", "reviewer", district="jiangan")
    url = f"/api/v1/filings/{won['id']}/decision"
    decisions = await asyncio.gather(*(client.post(url, headers=rev, json={
        "decision": d, "reason": "决定", "version": 1}) for d in ("approve", "reject") * 4))
    assert sorted(d.status for d in decisions) == [200] + [409] * 7
    detail = await (await client.get(f"/api/v1/filings/{won['id']}", headers=rev)).json()
    assert [h["state"] for h in detail["history"]] == ["submitted", detail["state"]]
