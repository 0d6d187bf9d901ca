"""A running server picks up an edited flow without a restart; a broken edit is refused."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

from bot.web.app import init_app
from tests.conftest import ROOT, make_settings
from tests.roles_support import worker_session


async def ask_building(client) -> str:  # type: ignore[no-untyped-def]
    """A new community worker's building question of the screening flow (theirs only),
    after its district and community (or what the flow says instead)."""
    headers = await worker_session(client)
    for text in ["楼栋排查", "江岸区", "花桥街一村社区"]:
        resp = await client.post("/api/v1/chat", json={"text": text}, headers=headers)
    return "\n".join(r["text"] for r in (await resp.json())["replies"])


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


async def test_an_edit_that_used_to_kill_the_watcher_is_refused_and_watching_goes_on(
        sqlite_url: str, tmp_path: Path, aiohttp_client, caplog):  # type: ignore[no-untyped-def]
    from bot.web.keys import HUB_KEY

    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    settings = make_settings(sqlite_url, tmp_path, flows_dir=flows, flows_reload_seconds=0.05)
    app = init_app(settings, background=True)
    client = await aiohttp_client(app)
    hub = app[HUB_KEY]
    path = flows / "community_screening.yml"
    good = path.read_text(encoding="utf-8")

    version = hub.flows.version
    with caplog.at_level(logging.WARNING, logger="tongguan.flows"):
        path.write_text(good.replace("params: {min_length: 1, max_length: 30}", "params: [1, 30]"),
                        encoding="utf-8")
        await wait_for_reload(app, version)
    assert [p.rule for p in hub.flows.problems] == ["bad-value"]
    assert "请输入楼栋号" in await ask_building(client)  # last good version still live
    assert any(str(path) in r.getMessage() and "'params'" in r.getMessage()
               for r in caplog.records if "flows.reload.rejected" in r.getMessage())

    version = hub.flows.version
    path.write_text(good.replace("请输入楼栋号", "请告诉我楼号"), encoding="utf-8")
    await wait_for_reload(app, version)
    assert "请告诉我楼号" in await ask_building(client)  # the watcher is still running


async def test_a_file_with_problems_at_start_up_is_left_out(
        sqlite_url: str, tmp_path: Path, aiohttp_client, caplog):  # type: ignore[no-untyped-def]
    """No last good version exists yet: the server starts without that flow, logging why."""
    from bot.web.keys import HUB_KEY

    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    path = flows / "community_screening.yml"
    path.write_text(path.read_text(encoding="utf-8").replace(  # used to stop the start-up
        "params: {min_length: 1, max_length: 30}", "params: [1, 30]"), encoding="utf-8")
    settings = make_settings(sqlite_url, tmp_path, flows_dir=flows)
    app = init_app(settings, background=False)
    with caplog.at_level(logging.WARNING, logger="tongguan.flows"):
        client = await aiohttp_client(app)
    hub = app[HUB_KEY]
    assert "community_screening" not in hub.flows.flows
    assert "health_declaration" in hub.flows.flows
    assert {(p.file, p.rule) for p in hub.flows.problems} == {
        (str(path), "bad-value"), (str(flows / "menu.yml"), "unknown-target")}  # its menu item
    assert any("flows.reload.rejected" in r.getMessage() and str(path) in r.getMessage()
               for r in caplog.records)
    assert "请输入楼栋号" not in await ask_building(client)
