"""End to end through ``init_app`` and the real dialogue engine: a community worker
completes the screening flow through encrypted callbacks; a slow action is answered
`success` and pushed."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from pathlib import Path

from aiohttp.test_utils import TestServer
from wechat_support import make_settings

from bot.actions import ActionContext, ActionResult
from bot.channels.wechat.testing import FakeWechatApi, WechatEmulator
from bot.config import Settings
from bot.services.outbox import OutboxWorker
from bot.web.app import init_app
from bot.web.keys import HUB_KEY
from tests.roles_support import grant

ROOT = Path(__file__).resolve().parents[3]
SLOW_FLOW = """\
id: slow_check
title: {zh: 慢查询, en: Slow check}
start:
  keywords: [慢查询, slow check]
steps:
  - action: test.slow
  - say: {zh: 查询完成。, en: Check done.}
"""
SCREENING = ["楼栋排查", "江岸区", "花桥街一村社区", "12号楼", "2单元", "12", "30", "1", "0", "无",
             "确认"]


def _settings(db_url: str, fake: FakeWechatApi, tmp_path: Path, budget: float) -> Settings:
    flows = tmp_path / "flows"
    flows.mkdir()
    shutil.copy(ROOT / "flows" / "community_screening.yml", flows)
    (flows / "slow_check.yml").write_text(SLOW_FLOW, encoding="utf-8")
    s = make_settings(db_url, fake.base_url)  # type: ignore[attr-defined]
    return dataclasses.replace(s, flows_dir=flows, intents_dir=ROOT / "intents",
                               flows_reload_seconds=0.0, wechat=dataclasses.replace(
                                   s.wechat, reply_budget=budget))


async def test_worker_completes_a_flow_and_a_slow_turn_is_pushed(
        db_url: str, fake_api: FakeWechatApi, tmp_path: Path) -> None:
    settings = _settings(db_url, fake_api, tmp_path, budget=0.5)
    server = TestServer(init_app(settings, background=False))
    await server.start_server()
    try:
        hub = server.app[HUB_KEY]

        async def slow(ctx: ActionContext) -> ActionResult:
            await asyncio.sleep(1.0)
            return ActionResult()

        hub.actions.register("test.slow", slow)
        assert hub.flows is not None
        hub.flows.load()
        await grant(hub, "wechat:o_worker")  # the screening flow is for community workers
        w = settings.wechat
        async with WechatEmulator(str(server.make_url(w.path)), token=w.token,
                                  app_id=w.app_id, aes_key=w.aes_key, mode="safe") as wx:
            replies = [await wx.text("o_worker", text) for text in SCREENING]
            assert not any(d.failed for d in replies)
            assert "在哪个区" in replies[0].text and "请输入楼栋号" in replies[2].text
            assert "已登记 12号楼" in replies[-1].text
            d = await wx.text("o_worker", "慢查询")
            assert d.body == "success" and d.elapsed < 1.0
        await asyncio.sleep(1.0)
        assert await OutboxWorker(hub.outbox, hub.deliverers).run_once() == 1
        assert "查询完成" in fake_api.messages[-1]["text"]["content"]
    finally:
        await server.close()
