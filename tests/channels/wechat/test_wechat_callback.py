"""Every message and event type, in plain, compatible and safe modes, on both databases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from wechat_support import Running

from bot.channels.wechat.users import last_location, push_allowed, set_location_consent
from bot.db.models import Conversation
from bot.db.models.wechat import WechatUser
from bot.messages import Location

MODES = ["plain", "compat", "safe"]


@pytest.mark.parametrize("mode", MODES)
async def test_every_message_type(running: Running, mode: str) -> None:
    seen = running.engine.seen
    async with running.emulator(mode) as wx:
        d = await wx.text("o_alice", "楼栋排查")
        assert not d.failed and d.text == "echo:楼栋排查" and d.attempts == 1
        assert seen[-1].kind == "text" and seen[-1].user_id == "o_alice"
        assert seen[-1].channel == "wechat" and seen[-1].message_id

        d = await wx.send("o_alice", "voice", MediaId="m1", Format="amr", Recognition="你好")
        assert d.text == "echo:你好" and seen[-1].text == "你好"

        n = len(seen)
        d = await wx.send("o_alice", "voice", MediaId="m2", Format="amr")
        assert "打字" in d.text and len(seen) == n

        d = await wx.send("o_alice", "location", Location_X="39.9042", Location_Y="116.4074",
                          Scale="15", Label="北京市东城区")
        assert not d.failed and seen[-1].kind == "location"
        assert seen[-1].location == Location(39.9042, 116.4074, "北京市东城区")

        d = await wx.send("o_alice", "image", PicUrl="http://x/p.jpg", MediaId="img1")
        assert "图片已收到" in d.text
        for kind, fields in [("link", {"Title": "t", "Description": "d", "Url": "http://x"}),
                             ("video", {"MediaId": "v", "ThumbMediaId": "t"}),
                             ("shortvideo", {"MediaId": "v", "ThumbMediaId": "t"})]:
            d = await wx.send("o_alice", kind, **fields)
            assert "文字" in d.text, kind
        assert len(seen) == n + 1  # only the location reached the engine

        d = await wx.event("o_bob", "subscribe")
        assert seen[-1].kind == "welcome" and d.text == "echo:welcome"
        d = await wx.event("o_carol", "subscribe", "qrscene_decl:store-12", Ticket="TICKET")
        assert (seen[-1].kind, seen[-1].trigger, seen[-1].value) == \
            ("start", "scene", "decl:store-12")
        d = await wx.event("o_carol", "SCAN", "decl:store-13", Ticket="TICKET")
        assert (seen[-1].trigger, seen[-1].value) == ("scene", "decl:store-13")
        d = await wx.event("o_carol", "CLICK", "health_declaration")
        assert (seen[-1].kind, seen[-1].trigger, seen[-1].value) == \
            ("start", "menu", "health_declaration")

        n = len(seen)
        for event, key in [("VIEW", "https://example.org/"), ("TEMPLATESENDJOBFINISH", None),
                           ("weird_new_event", "x")]:
            d = await wx.event("o_carol", event, key)
            assert d.reply is None and d.body == "success" and not d.failed, event
        d = await wx.send("o_carol", "hologram", Payload="?")
        assert d.body == "success"
        d = await wx.event("o_carol", "LOCATION", Latitude="23.1", Longitude="113.2",
                           Precision="30")
        assert d.body == "success"
        d = await wx.event("o_carol", "unsubscribe")
        assert d.body == "success" and len(seen) == n


async def test_unsubscribe_stops_pushes_and_resubscribe_restores(running: Running) -> None:
    hub = running.hub
    async with running.emulator() as wx:
        await wx.text("o_dan", "hi")
        async with hub.db.sessions.begin() as s:  # a conversation the engine would have made
            now = hub.clock.now()
            s.add(Conversation(user_key="wechat:o_dan", lang="zh", version=0, push_allowed=True,
                               created_at=now, updated_at=now))
        await wx.event("o_dan", "unsubscribe")
        assert not await push_allowed(hub.db, "o_dan")
        async with hub.db.sessions() as s:
            assert await s.scalar(sa.select(Conversation.push_allowed)) is False
        await wx.event("o_dan", "subscribe")
        assert await push_allowed(hub.db, "o_dan")


async def test_location_reports_kept_only_with_consent(running: Running) -> None:
    hub = running.hub
    async with running.emulator("safe") as wx:
        await wx.event("o_eve", "LOCATION", Latitude="23.1", Longitude="113.2", Precision="9")
        assert await last_location(hub.db, hub.sealer, "o_eve") is None
        async with hub.db.sessions() as s:
            row = await s.get(WechatUser, "wechat:o_eve")
            assert row is None or row.last_location is None
        await set_location_consent(hub.db, hub.clock, "o_eve", True)
        await wx.event("o_eve", "LOCATION", Latitude="23.1", Longitude="113.2", Precision="9")
        assert await last_location(hub.db, hub.sealer, "o_eve") == Location(23.1, 113.2)
        await set_location_consent(hub.db, hub.clock, "o_eve", False)
        assert await last_location(hub.db, hub.sealer, "o_eve") is None


async def test_url_check(running: Running) -> None:
    wx = running.emulator()
    query, _ = wx.signed(wx.message("o", "text", Content="x"))
    async with running.client() as http:
        ok = await http.get(running.url(), params={**query, "echostr": "abc123"})
        assert ok.status == 200 and await ok.text() == "abc123"
        query["signature"] = "0" * 40
        bad = await http.get(running.url(), params={**query, "echostr": "abc123"})
        assert bad.status == 403 and "abc123" not in await bad.text()
