"""A WeChat follower asks for a person: the operator's claim notice, reply and close
notice go out as customer-service messages through the outbox and the deliverer (the
fake WeChat API checks the wire format); the follower's messages meanwhile reach the
inbox with an empty passive answer, and after the close the bot answers again."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer
from wechat_support import make_settings

from bot.channels.wechat.testing import FakeWechatApi, WechatEmulator
from bot.services.outbox import OutboxWorker
from bot.services.staff import add_account
from bot.web.app import init_app
from bot.web.keys import HUB_KEY

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "correct horse battery"


async def test_wechat_follower_talks_to_an_operator(db_url: str,
                                                    fake_api: FakeWechatApi) -> None:
    s = make_settings(db_url, fake_api.base_url)  # type: ignore[attr-defined]
    settings = dataclasses.replace(s, flows_dir=ROOT / "flows", intents_dir=ROOT / "intents",
                                   flows_reload_seconds=0.0)
    server = TestServer(init_app(settings, background=False))
    await server.start_server()
    try:
        hub = server.app[HUB_KEY]
        worker = OutboxWorker(hub.outbox, hub.deliverers)
        await add_account(hub, "op.sun", "operator", PASSWORD)
        w = settings.wechat
        async with WechatEmulator(str(server.make_url(w.path)), token=w.token,
                                  app_id=w.app_id, aes_key=w.aes_key, mode="safe") as wx, \
                aiohttp.ClientSession(str(server.make_url("/"))) as http:
            asked = await wx.text("o_resident", "转人工")
            assert "已为您转接人工服务（编号 1）" in asked.text
            login = await http.post("/api/v1/staff/sessions",
                                    json={"username": "op.sun", "password": PASSWORD})
            op = {"Authorization": f"Bearer {(await login.json())['token']}"}
            [item] = (await (await http.get("/api/v1/handoffs", headers=op)).json())["items"]
            assert item["channel"] == "wechat"
            assert (await http.post("/api/v1/handoffs/1/claim", headers=op)).status == 200
            sent = await http.post("/api/v1/handoffs/1/reply", headers=op,
                                   json={"text": "您好，我是社区工作人员，请问哪里不舒服？"})
            assert sent.status == 201
            assert await worker.run_once() == 2
            pushed = [m for m in fake_api.messages if m["touser"] == "o_resident"]
            assert [m["msgtype"] for m in pushed] == ["text", "text"]
            assert "工作人员已接入" in pushed[0]["text"]["content"]
            assert "返回机器人" in pushed[0]["text"]["content"]  # the button, as text
            assert pushed[1]["text"]["content"] == \
                "工作人员：您好，我是社区工作人员，请问哪里不舒服？"

            quiet = await wx.text("o_resident", "我有点咳嗽")
            assert not quiet.failed and quiet.body == "success"  # no bot answer
            thread = await (await http.get("/api/v1/handoffs/1/messages?after=0",
                                           headers=op)).json()
            assert thread["messages"][-1]["text"] == "我有点咳嗽"

            assert (await http.post("/api/v1/handoffs/1/close", headers=op)).status == 200
            assert await worker.run_once() == 1
            assert "人工服务已结束" in fake_api.messages[-1]["text"]["content"]
            late = await http.post("/api/v1/handoffs/1/reply", headers=op, json={"text": "?"})
            assert late.status == 409
            again = await wx.text("o_resident", "帮助")
            assert again.text and not again.failed  # the bot answers again
    finally:
        await server.close()
