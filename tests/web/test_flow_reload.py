"""A running server picks up an edited flow without a restart; a broken edit is refused."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from bot.web.app import init_app
from tests.conftest import ROOT, make_settings


async def ask_building(client) -> str:  # type: ignore[no-untyped-def]
    token = (await (await client.post("/api/v1/sessions")).json())["token"]
    resp = await client.post("/api/v1/chat", json={"text": "楼栋排查"},
                             headers={"Authorization": f"Bearer {token}"})
    return (await resp.json())["replies"][0]["text"]


async def wait_for_reload(app, version: int) -> None:  # type: ignore[no-untyped-def]
    from bot.web.keys import HUB_KEY

    for _ in range(200):  # bounded: the watcher polls every 0.05 s
        if app[HUB_KEY].flows.version > version:
            return
        await asyncio.sleep(0.05)


async def test_running_server_reloads_flows(sqlite_url: str, tmp_path: Path, aiohttp_client):
    from bot.web.keys import HUB_KEY

    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    settings = make_settings(sqlite_url, tmp_path, flows_dir=flows, flows_reload_seconds=0.05)
    app = init_app(settings, background=True)
    client = await aiohttp_client(app)
    assert "请输入楼栋号" in await ask_building(client)

    path = flows / "community_screening.yml"
    good = path.read_text(encoding="utf-8")
    version = app[HUB_KEY].flows.version
    path.write_text(good.replace("请输入楼栋号", "请告诉我楼号"), encoding="utf-8")
    await wait_for_reload(app, version)
    assert "请告诉我楼号" in await ask_building(client)

    version = app[HUB_KEY].flows.version
    path.write_text(good.replace("action: records.save", "action: records.sav"),
                    encoding="utf-8")
    await wait_for_reload(app, version)
    problems = [p.rule for p in app[HUB_KEY].flows.problems]
    assert "unknown-action" in problems
    assert "请告诉我楼号" in await ask_building(client)  # last good version still live
