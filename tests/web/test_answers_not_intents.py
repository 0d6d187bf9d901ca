"""An answer is not an intent (issue 15 §4): while a question is open, a reply its slot
type accepts answers it; only a keyword or command (or, when the slot type rejects the
reply, a clear intent) leaves the question. Through the real chat API, the shipped flows
and the built-in NLU, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.roles_support import worker_session
from tests.web.test_chat_api import say

# building names residents really type; "B0-36" parsed as declare_health 0.89 and switched
# every user to the health declaration
BUILDINGS = ["B0-36", "B-2", "A12", "3栋2单元", "金桥花园7幢", "健康小区3号楼"]
# and communities (the question before the building's)
COMMUNITIES = ["花桥街一村社区", "健康小区", "中南路街 东湖社区", "B区", "预约社区"]
WHERE = ["楼栋排查", "江岸区", "花桥街一村社区"]  #: up to the building question


def texts(replies: list[dict]) -> str:
    return "\n".join(r["text"] for r in replies)


async def stack(client, headers) -> list[dict]:  # type: ignore[no-untyped-def]
    resp = await client.get("/api/v1/history", headers=headers)
    assert resp.status == 200
    return (await resp.json()).get("stack", [])


@pytest.mark.parametrize("building", BUILDINGS)
async def test_a_building_name_answers_the_building_question(client, building) -> None:
    worker = await worker_session(client)
    for text in WHERE:
        await say(client, worker, {"text": text})
    out = texts(await say(client, worker, {"text": building}))
    assert "哪个单元" in out and "已暂停" not in out, out
    # and the answer is the one kept: it shows in the summary
    for text in ["跳过", "12", "30", "0", "0", "跳过"]:
        out = texts(await say(client, worker, {"text": text}))
    assert f"楼栋：{building}" in out, out


@pytest.mark.parametrize("community", COMMUNITIES)
async def test_a_community_name_answers_the_community_question(client, community) -> None:
    worker = await worker_session(client)
    await say(client, worker, {"text": "楼栋排查"})
    assert "哪个街道和社区" in texts(await say(client, worker, {"text": "武昌区"}))
    out = texts(await say(client, worker, {"text": community}))
    assert "楼栋号" in out and "已暂停" not in out, out


async def test_a_keyword_still_leaves_a_free_text_question(client) -> None:
    worker = await worker_session(client)
    for text in WHERE:
        await say(client, worker, {"text": text})
    out = texts(await say(client, worker, {"text": "健康申报"}))
    assert "已暂停" in out, out


async def test_a_clear_intent_leaves_a_question_that_rejects_the_reply(client) -> None:
    worker = await worker_session(client)
    for text in [*WHERE, "12号楼", "跳过"]:
        await say(client, worker, {"text": text})
    # the number of households: "I want to book masks" is no number, and clearly a request
    out = texts(await say(client, worker, {"text": "我想预约口罩"}))
    assert "已暂停" in out, out
