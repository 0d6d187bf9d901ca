"""The two flows through the chat API: reserve with a shared location, then cancel."""

from __future__ import annotations

from bot.services.reservations import balances
from bot.services.reservations.identity import fake_id

ID = fake_id(21, last_odd=False)


async def say(client, headers, body) -> list[dict]:  # type: ignore[no-untyped-def]
    resp = await client.post("/api/v1/chat", json=body, headers=headers)
    assert resp.status == 200, await resp.text()
    return (await resp.json())["replies"]


def text(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


async def test_reserve_then_cancel_in_chat(api) -> None:
    client, auth, sc, _ = api
    await say(client, auth, {"text": "我要约口罩"})
    await say(client, auth, {"text": "1"})  # adult masks
    stores = text(await say(client, auth, {"location": {"lat": 31.2356, "lng": 121.479}}))
    assert "第一医药商店（南京东路店）" in stores and "km" in stores
    await say(client, auth, {"text": "1"})
    await say(client, auth, {"text": "张三"})
    summary = await say(client, auth, {"text": ID})
    done = await say(client, auth, {"text": "确认"})
    assert "取货码" in text(done), (text(summary), text(done))
    assert any(r["type"] == "image" and r["url"].endswith("/qr.png") for r in done)
    qr = next(r["url"] for r in done if r["type"] == "image")
    assert (await client.get(qr)).status == 200
    assert sum(b.active for b in await balances(sc)) == 1

    listed = text(await say(client, auth, {"text": "我的预约"}))
    assert "成人口罩" in listed
    await say(client, auth, {"text": "1"})
    await say(client, auth, {"text": "2"})  # cancel
    bye = text(await say(client, auth, {"text": "是"}))
    assert "已取消" in bye
    assert sum(b.active for b in await balances(sc)) == 0
