"""A follower asks for their data and its deletion over WeChat (encrypted callbacks, the
real engine): the same flows and actions as the web chat, audited alike."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import sqlalchemy as sa
from aiohttp.test_utils import TestServer
from wechat_support import make_settings

from bot.channels.wechat.testing import FakeWechatApi, WechatEmulator
from bot.web.app import init_app
from bot.web.keys import HUB_KEY

ROOT = Path(__file__).resolve().parents[3]


async def test_my_data_and_deletion_over_wechat(db_url: str, fake_api: FakeWechatApi) -> None:
    base = make_settings(db_url, fake_api.base_url)  # type: ignore[attr-defined]
    settings = dataclasses.replace(base, flows_dir=ROOT / "flows", intents_dir=ROOT / "intents",
                                   flows_reload_seconds=0.0)
    server = TestServer(init_app(settings, background=False))
    await server.start_server()
    try:
        hub = server.app[HUB_KEY]
        w = settings.wechat
        async with WechatEmulator(str(server.make_url(w.path)), token=w.token,
                                  app_id=w.app_id, aes_key=w.aes_key, mode="safe") as wx:
            assert "我们保存的关于您的信息" in (await wx.text("o_priv", "我的数据")).text
            assert "将删除" in (await wx.text("o_priv", "删除我的数据")).text
            assert "已删除" in (await wx.text("o_priv", "是")).text
        async with hub.db.sessions() as session:
            actions = (await session.scalars(sa.text(
                "SELECT action FROM staff_audit WHERE actor = 'resident' ORDER BY id"))).all()
        assert actions == ["privacy.view", "privacy.erase"]
    finally:
        await server.close()
