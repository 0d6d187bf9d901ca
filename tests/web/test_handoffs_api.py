"""The handoff inbox API on SQLite and PostgreSQL: a resident asks for a person in the
web chat, an operator claims and answers, the resident's messages go to the thread
instead of the bot, the operator closes and the bot answers again; the wrong callers,
districts and bad input get clear errors, and nothing of a refused call is written."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from staff_support import staff_login

from bot.services.handoffs import HandoffError, handoffs
from bot.services.handoffs.inbox import MAX_REPLY, clean_reply
from bot.services.staff import read_audit
from bot.web.keys import HUB_KEY


class Resident:
    """A web chat session."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.headers: dict[str, str] = {}
        self.after = 0

    async def start(self) -> Resident:
        resp = await self.client.post("/api/v1/sessions")
        self.headers = {"Authorization": f"Bearer {(await resp.json())['token']}"}
        return self

    async def say(self, text: str) -> list[dict[str, Any]]:
        resp = await self.client.post("/api/v1/chat", json={"text": text},
                                      headers=self.headers)
        assert resp.status == 200, await resp.text()
        return list((await resp.json())["replies"])

    async def pushed(self) -> list[dict[str, Any]]:
        """Messages queued for this resident since the last call (acknowledged)."""
        resp = await self.client.get(f"/api/v1/messages?after={self.after}",
                                     headers=self.headers)
        messages = (await resp.json())["messages"]
        fresh = [m for m in messages if m["id"] > self.after]
        self.after = max([self.after, *(m["id"] for m in messages)])
        return fresh


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r["text"] for r in replies)


async def test_ask_claim_reply_relay_close_and_the_bot_again(client: Any) -> None:
    resident = await Resident(client).start()
    asked = await resident.say("转人工")
    assert "已为您转接人工服务（编号 1）" in texts(asked)
    again = await resident.say("人工客服")  # a second ask names the same request
    assert "编号 1" in texts(again) and "已在处理中" in texts(again)
    op = await staff_login(client, "op.li", "operator")
    other = await staff_login(client, "op.zhao", "operator")

    listed = await (await client.get("/api/v1/handoffs", headers=op)).json()
    [item] = listed["items"]
    assert item["id"] == 1 and item["state"] == "open" and item["channel"] == "web"
    assert item["waiting_since"] and item["claimed_by"] is None
    detail = await (await client.get("/api/v1/handoffs/1", headers=op)).json()
    assert [t["in"].get("text") for t in detail["transcript"]] == ["转人工"]
    audit = await read_audit(client.server.app[HUB_KEY], actor="staff:op.li")
    assert ("handoff.read", "handoff:1") in [(e.action, e.object) for e in audit]

    early = await client.post("/api/v1/handoffs/1/reply", json={"text": "您好"}, headers=op)
    assert early.status == 409 and (await early.json())["error"] == "not_claimed"
    claimed = await client.post("/api/v1/handoffs/1/claim", headers=op)
    assert claimed.status == 200 and (await claimed.json())["claimed_by"] == "staff:op.li"
    assert (await client.post("/api/v1/handoffs/1/claim", headers=op)).status == 200
    taken = await client.post("/api/v1/handoffs/1/claim", headers=other)
    body = await taken.json()
    assert taken.status == 409 and body["error"] == "claimed" and "op.li" in body["message_zh"]
    [notice] = await resident.pushed()
    assert "工作人员已接入" in notice["text"]
    assert notice["options"] == [{"label": "返回机器人", "value": "返回机器人"}]

    sent = await client.post("/api/v1/handoffs/1/reply", json={"text": " 您好，请讲。\n"},
                             headers=op)
    assert sent.status == 201 and (await sent.json())["text"] == "您好，请讲。"
    assert [m["text"] for m in await resident.pushed()] == ["工作人员：您好，请讲。"]
    listed = await (await client.get("/api/v1/handoffs?state=claimed", headers=op)).json()
    assert listed["items"][0]["waiting_since"] is None  # answered

    # The resident's next message is the operator's, not the bot's.
    assert await resident.say("我的健康码是黄码，为什么？") == []
    thread = await (await client.get("/api/v1/handoffs/1/messages?after=0",
                                     headers=op)).json()
    said = [(m["author"], m.get("text") or m.get("event")) for m in thread["messages"]]
    assert said == [("staff:op.li", "claimed"), ("staff:op.li", "您好，请讲。"),
                    ("resident", "我的健康码是黄码，为什么？")]
    listed = await (await client.get("/api/v1/handoffs?state=claimed", headers=op)).json()
    assert listed["items"][0]["waiting_since"] is not None  # waiting again

    assert (await client.post("/api/v1/handoffs/1/close", headers=other)).status == 409
    closed = await client.post("/api/v1/handoffs/1/close", headers=op)
    assert closed.status == 200 and (await closed.json())["state"] == "closed"
    assert "人工服务已结束" in texts(await resident.pushed())
    late = await client.post("/api/v1/handoffs/1/reply", json={"text": "还在吗"}, headers=op)
    body = await late.json()
    assert late.status == 409 and body["error"] == "closed" and body["message_zh"]
    assert (await client.post("/api/v1/handoffs/1/claim", headers=op)).status == 409
    assert (await client.post("/api/v1/handoffs/1/close", headers=op)).status == 409
    back = await resident.say("你好")
    assert back and "通管" in texts(back)  # the bot answers again
    thread = await (await client.get("/api/v1/handoffs/1", headers=op)).json()
    assert len(thread["messages"]) == 4  # nothing added by the refused calls


async def test_back_to_bot_ends_the_claim(client: Any) -> None:
    resident = await Resident(client).start()
    await resident.say("human")
    op = await staff_login(client, "op.wu", "community_worker")
    assert (await client.post("/api/v1/handoffs/1/claim", headers=op)).status == 200
    [notice] = await resident.pushed()
    assert "back to bot" in notice["text"] and notice["options"][0]["value"] == "back to bot"
    ended = await resident.say(notice["options"][0]["value"])  # the button
    assert "back with the bot" in texts(ended)
    h = await (await client.get("/api/v1/handoffs/1", headers=op)).json()
    assert h["state"] == "closed" and h["closed_by"] == "resident"
    assert h["messages"][-1]["event"] == "returned"
    refused = await client.post("/api/v1/handoffs/1/reply", json={"text": "hi"}, headers=op)
    assert refused.status == 409
    assert "talking to the bot" in texts(await resident.say("back to bot"))


async def test_the_thread_long_poll_returns_when_the_resident_writes(client: Any) -> None:
    resident = await Resident(client).start()
    await resident.say("转人工")
    op = await staff_login(client, "op.ma", "operator")
    await client.post("/api/v1/handoffs/1/claim", headers=op)
    first = await (await client.get("/api/v1/handoffs/1/messages", headers=op)).json()
    last = first["messages"][-1]["id"]
    waiting = asyncio.ensure_future(client.get(
        f"/api/v1/handoffs/1/messages?after={last}&wait=20", headers=op))
    await asyncio.sleep(0.2)
    assert not waiting.done()  # nothing new yet: the poll waits
    await resident.say("在吗？")
    got = await (await waiting).json()
    assert [m["text"] for m in got["messages"]] == ["在吗？"]
    quiet = await (await client.get(f"/api/v1/handoffs/1/messages?after={last + 1}",
                                    headers=op)).json()
    assert quiet == {"id": 1, "state": "claimed", "messages": []}


async def test_districts_roles_and_unknown_ids(client: Any) -> None:
    hub = client.server.app[HUB_KEY]
    h = handoffs(hub)
    placed = await h.create("web:r1", "health_declaration", [], district="jiangan")
    unplaced = await h.create("web:r2", None, [])
    jiangan = await staff_login(client, "op.ja", "operator", district="jiangan")
    jianghan = await staff_login(client, "op.jh", "operator", district="jianghan")
    city = await staff_login(client, "boss", "admin")
    auditor = await staff_login(client, "aud", "auditor")
    reviewer = await staff_login(client, "rev", "reviewer")

    async def ids(headers: dict[str, str]) -> list[int]:
        resp = await client.get("/api/v1/handoffs?state=open", headers=headers)
        return [i["id"] for i in (await resp.json())["items"]]

    assert await ids(jiangan) == [placed] and await ids(jianghan) == []
    assert await ids(city) == [placed, unplaced] and await ids(auditor) == [placed, unplaced]
    for path in (f"/api/v1/handoffs/{placed}", f"/api/v1/handoffs/{unplaced}"):
        assert (await client.get(path, headers=jianghan)).status == 404
    assert (await client.post(f"/api/v1/handoffs/{placed}/claim",
                              headers=jianghan)).status == 404
    assert (await client.get(f"/api/v1/handoffs/{placed}", headers=jiangan)).status == 200
    assert (await client.post(f"/api/v1/handoffs/{placed}/claim",
                              headers=auditor)).status == 403  # auditors only read
    assert (await client.get("/api/v1/handoffs", headers=reviewer)).status == 403
    resident = await Resident(client).start()
    for method, path in (("GET", "/api/v1/handoffs"), ("GET", f"/api/v1/handoffs/{placed}"),
                         ("POST", f"/api/v1/handoffs/{placed}/claim"),
                         ("POST", f"/api/v1/handoffs/{placed}/reply"),
                         ("POST", f"/api/v1/handoffs/{placed}/close")):
        resp = await client.request(method, path, json={"text": "x"},
                                    headers=resident.headers)
        assert resp.status == 401, (method, path)
    missing = await client.get("/api/v1/handoffs/999999", headers=city)
    assert missing.status == 404 and (await missing.json())["message_zh"]
    assert (await client.post("/api/v1/handoffs/999999/claim", headers=city)).status == 404
    assert (await client.get("/api/v1/handoffs/abc", headers=city)).status == 404
    for query in ("?state=lost", "?limit=0", "?limit=x", "?state=open&limit=100000"):
        bad = await client.get("/api/v1/handoffs" + query, headers=city)
        assert bad.status == 422 and (await bad.json())["message_zh"], query
    for query in ("?wait=-1", "?wait=99", "?after=x", "?wait=nan"):
        bad = await client.get(f"/api/v1/handoffs/{placed}/messages" + query, headers=city)
        assert bad.status == 422, query


@pytest.mark.parametrize("body", [
    {"text": ""}, {"text": "  \n\t "}, {"text": "\u200b\u0000"}, {"text": 12}, {"text": None},
    {}, {"text": "好" * (MAX_REPLY + 1)}, {"text": "hi", "html": "<b>"}, "not json", [1, 2],
    {"text": "好" * 100_000}])
async def test_bad_replies_are_clear_errors_and_send_nothing(client: Any, body: Any) -> None:
    resident = await Resident(client).start()
    await resident.say("转人工")
    op = await staff_login(client, "op.qian", "operator")
    await client.post("/api/v1/handoffs/1/claim", headers=op)
    await resident.pushed()
    raw = body if isinstance(body, str) else json.dumps(body)
    resp = await client.post("/api/v1/handoffs/1/reply", data=raw.encode(),
                             headers={**op, "Content-Type": "application/json"})
    assert resp.status in (400, 413, 422), resp.status
    assert (await resp.json())["message"]
    assert await resident.pushed() == []
    thread = await (await client.get("/api/v1/handoffs/1", headers=op)).json()
    assert [m.get("event") for m in thread["messages"]] == ["claimed"]


@given(st.text(max_size=MAX_REPLY + 50))
def test_a_reply_is_cleaned_or_refused(raw: str) -> None:
    try:
        cleaned = clean_reply(raw)
    except HandoffError as err:
        assert err.status == 422 and err.zh and err.en
        return
    assert cleaned and cleaned == cleaned.strip() and len(cleaned) <= MAX_REPLY
    assert not any(ch in cleaned for ch in "\x00\x07\u200b\ufeff")
