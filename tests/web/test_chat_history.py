"""``GET /api/v1/history``: a session's turns as they were sent and answered."""

from __future__ import annotations

from tests.roles_support import worker_session
from tests.web.test_chat_api import say, session


async def history(client, headers, query: str = ""):  # type: ignore[no-untyped-def]
    resp = await client.get("/api/v1/history" + query, headers=headers)
    assert resp.status == 200, await resp.text()
    return (await resp.json())["turns"]


async def test_history_replays_what_was_sent_and_answered(client):
    headers = await worker_session(client)  # the screening flow is for community workers
    assert await history(client, headers) == []  # a new session: the page greets
    sent = [{"text": "你好"}, {"start": "community_screening"}, {"choice": "jiangan"},
            {"text": "花桥街一村社区"}, {"text": "5号楼"}, {"choice": "跳过"},
            {"location": {"lat": 31.2, "lng": 121.5, "label": "家"}}]
    answers = [await say(client, headers, body) for body in sent]
    turns = await history(client, headers)
    # a tapped choice is logged as the text it sends
    assert [t["sent"] for t in turns] == [*sent[:2], {"text": "jiangan"}, *sent[3:5],
                                          {"text": "跳过"}, sent[6]]
    assert [t["replies"] for t in turns] == answers  # the very shapes /api/v1/chat gave
    assert "在哪个区" in turns[1]["replies"][0]["text"]
    assert "请输入楼栋号" in turns[3]["replies"][0]["text"]

    assert await history(client, headers, "?limit=2") == turns[-2:]
    # the open question is still open: history answered nothing
    replies = await say(client, headers, {"text": "12"})
    assert "在家的共有多少人" in replies[0]["text"], replies


async def test_history_is_the_tokens_own_and_checked(client):
    a = await worker_session(client)
    b = await session(client)
    await say(client, a, {"text": "楼栋排查"})
    assert await history(client, b) == []
    assert len(await history(client, a)) == 1
    for headers, query, status in (({}, "", 401),
                                   ({"Authorization": "Bearer nope"}, "", 401),
                                   (a, "?limit=0", 422), (a, "?limit=101", 422),
                                   (a, "?limit=x", 422)):
        resp = await client.get("/api/v1/history" + query, headers=headers)
        assert resp.status == status, (query, await resp.text())
        assert (await resp.json())["error"] in ("unauthorized", "invalid")
