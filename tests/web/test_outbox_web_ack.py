"""Queued messages reach the web chat at least once: ``?after=`` acknowledges them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.clock import FixedClock
from bot.db.models import ApiSession, OutboxMessage
from bot.messages import Reply
from bot.privacy import token_hash
from bot.services.outbox import OutboxWorker
from bot.web.app import init_app
from bot.web.keys import HUB_KEY
from tests.web.test_chat_api import session


async def user_of(hub, headers) -> str:  # type: ignore[no-untyped-def]
    async with hub.db.sessions() as s:
        return (await s.scalars(sa.select(ApiSession.user_id).where(
            ApiSession.token_hash == token_hash(headers["Authorization"][7:])))).one()


async def poll(client, headers, query: str) -> list[dict]:  # type: ignore[no-untyped-def]
    resp = await client.get("/api/v1/messages" + query, headers=headers)
    assert resp.status == 200, await resp.text()
    return (await resp.json())["messages"]


async def statuses(hub) -> dict[str, str]:  # type: ignore[no-untyped-def]
    async with hub.db.sessions() as s:
        rows = await s.execute(sa.select(OutboxMessage.dedupe_key, OutboxMessage.status))
        return dict(rows.all())


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2020, 2, 4, 1, 0, tzinfo=UTC))


async def test_unacknowledged_messages_come_again(settings, clock, aiohttp_client):
    client = await aiohttp_client(init_app(settings, clock=clock, background=False))
    hub = client.app[HUB_KEY]
    headers = await session(client)
    user = await user_of(hub, headers)
    await hub.outbox.enqueue(channel="web", user_id=user, dedupe_key="later",
                             replies=[Reply.say("明早提醒")],
                             due_at=clock.now() + timedelta(hours=1))
    await hub.outbox.enqueue(channel="web", user_id=user, dedupe_key="now", replies=[
        Reply.say("审核结果：通过"), Reply(type="image", text="码", url="/code/x/qr.png")])

    # A poll whose response never reaches the page (it reloads, the network drops):
    # the request goes out, nothing is read.
    reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
    writer.write(f"GET /api/v1/messages?after=0 HTTP/1.1\r\nHost: t\r\n"
                 f"Authorization: {headers['Authorization']}\r\n\r\n".encode())
    await writer.drain()
    await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)  # handled, body unread
    writer.close()
    assert (await statuses(hub))["now"] == "sending"

    first = await poll(client, headers, "?after=0")  # so it comes again
    assert [(m["type"], m["text"]) for m in first] == [("text", "审核结果：通过"),
                                                       ("image", "码")]
    assert first[0]["id"] == first[1]["id"]  # replies queued together share their id
    shown = first[0]["id"]
    assert await poll(client, headers, "?after=0") == first  # still not acknowledged

    assert await poll(client, headers, f"?after={shown}&wait=0.6") == []  # acknowledged
    assert await statuses(hub) == {"now": "sent", "later": "pending"}

    # The reminder has the lower id but falls due later: the ack above left it queued.
    clock.advance(hours=2)
    later = await poll(client, headers, f"?after={shown}&wait=1")
    assert [m["text"] for m in later] == ["明早提醒"] and later[0]["id"] < shown
    assert await poll(client, headers, f"?after={later[0]['id']}") == []
    assert await statuses(hub) == {"now": "sent", "later": "sent"}


async def test_a_waiting_poll_gets_a_message_queued_meanwhile(client):
    hub = client.app[HUB_KEY]
    headers = await session(client)
    waiting = asyncio.create_task(poll(client, headers, "?after=0&wait=10"))
    await asyncio.sleep(0.3)
    await hub.outbox.enqueue(channel="web", user_id=await user_of(hub, headers),
                             replies=[Reply.say("开奖结果：中签")])
    messages = await asyncio.wait_for(waiting, 5)
    assert [m["text"] for m in messages] == ["开奖结果：中签"]


async def test_push_worker_leaves_pull_channels_alone(client):
    hub = client.app[HUB_KEY]
    headers = await session(client)
    await hub.outbox.enqueue(channel="web", user_id=await user_of(hub, headers),
                             dedupe_key="web-1", replies=[Reply.say("x")])
    assert await OutboxWorker(hub.outbox, hub.deliverers).run_once() == 0
    assert await statuses(hub) == {"web-1": "pending"}
    with pytest.raises(ValueError):
        await hub.outbox.pull("wechat", "openid")
    for bad in ("?after=x", "?after=-1"):
        resp = await client.get("/api/v1/messages" + bad, headers=headers)
        assert resp.status == 422 and (await resp.json())["error"] == "invalid"
