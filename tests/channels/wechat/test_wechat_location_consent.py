"""Location consent through the real engine: the ``location_consent`` flow flips the flag
(``wechat.location_consent``) and LOCATION reports are kept only afterwards."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from aiohttp.test_utils import TestServer
from wechat_support import make_settings

from bot.channels.wechat.actions import register_actions
from bot.channels.wechat.testing import FakeWechatApi, WechatEmulator
from bot.channels.wechat.users import last_location
from bot.db.models.wechat import WechatUser
from bot.messages import Location
from bot.web.app import init_app
from bot.web.keys import HUB_KEY

ROOT = Path(__file__).resolve().parents[3]


async def _consent(hub, openid: str) -> bool | None:  # type: ignore[no-untyped-def]
    async with hub.db.sessions() as s:
        row = await s.get(WechatUser, f"wechat:{openid}")
    return None if row is None else row.location_consent


async def test_consent_flow_flips_the_flag_and_locations_are_kept_only_after(
        db_url: str, fake_api: FakeWechatApi, tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    shutil.copy(ROOT / "flows" / "location_consent.yml", flows)
    base = make_settings(db_url, fake_api.base_url)  # type: ignore[attr-defined]
    settings = dataclasses.replace(base, flows_dir=flows, intents_dir=ROOT / "intents",
                                   flows_reload_seconds=0.0)
    server = TestServer(init_app(settings, background=False))
    await server.start_server()
    try:
        hub = server.app[HUB_KEY]
        if "wechat.location_consent" not in hub.actions:  # until hub.py lists the module
            register_actions(hub.actions, hub)
            assert hub.flows is not None and hub.flows.load() == []
        w = settings.wechat
        async with WechatEmulator(str(server.make_url(w.path)), token=w.token,
                                  app_id=w.app_id, aes_key=w.aes_key, mode="safe") as wx:
            async def report() -> None:
                d = await wx.event("o_loc", "LOCATION", Latitude="31.23", Longitude="121.47",
                                   Precision="20")
                assert d.body == "success" and not d.failed

            await report()
            assert await last_location(hub.db, hub.sealer, "o_loc") is None

            assert "是否同意" in (await wx.text("o_loc", "位置授权")).text
            assert "已开启" in (await wx.text("o_loc", "是")).text
            assert await _consent(hub, "o_loc") is True
            await report()
            assert await last_location(hub.db, hub.sealer, "o_loc") == Location(31.23, 121.47)

            assert "是否同意" in (await wx.text("o_loc", "位置授权")).text
            assert "已关闭" in (await wx.text("o_loc", "否")).text
            assert await _consent(hub, "o_loc") is False
            assert await last_location(hub.db, hub.sealer, "o_loc") is None
            await report()
            assert await last_location(hub.db, hub.sealer, "o_loc") is None

            assert "May Tongguan keep" in (await wx.text("o_en", "share my location")).text
            assert "Done." in (await wx.text("o_en", "yes")).text
            assert await _consent(hub, "o_en") is True
    finally:
        await server.close()
