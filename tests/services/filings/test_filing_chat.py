"""The chat flows end to end through the chat API: file, hear the decision, see the
status, correct a returned filing from the prefilled answers, and the USCC rule."""

from __future__ import annotations

from typing import Any

from filing_support import make_uscc
from staff_support import staff_login

ANSWERS = ["武汉第一机械厂", make_uscc(7), "1", "江岸区", "花桥街", "解放大道 1号", "王小明",
           "13812345678", "100", "60"]
REST = ["0", "2", "李防疫", "14", "30", "30", "2月17日", "50", "1,3", "是"]


async def say(api: Any, headers: dict[str, str], text: str) -> str:
    resp = await api.client.post("/api/v1/chat", json={"text": text}, headers=headers)
    assert resp.status == 200, await resp.text()
    return "\n".join(r.get("text", "") for r in (await resp.json())["replies"])


async def chat_session(api: Any) -> dict[str, str]:
    resp = await api.client.post("/api/v1/sessions")
    return {"Authorization": f"Bearer {(await resp.json())['token']}"}


async def test_file_in_chat_hear_the_return_and_resubmit_prefilled(api) -> None:
    me = await chat_session(api)
    assert "企业（单位）全称" in await say(api, me, "我们公司要申请复工，怎么办")
    for text in ANSWERS:
        await say(api, me, text)
    out = await say(api, me, "武汉 12")  # no province: a clear error, asked again
    assert "没看懂「武汉 12」" in out and "湖北武汉 12" in out
    assert "风险地区" in await say(api, me, "湖北武汉 40，河南信阳 20")
    for text in REST:
        out = await say(api, me, text)
    assert "请核对复工申报" in out and "湖北 武汉 40" not in out and "湖北武汉 40" in out
    out = await say(api, me, "确认")
    assert "已收到" in out
    [filing] = (await (await api.client.get("/api/v1/filings/mine", headers=me)).json())["items"]
    assert filing["state"] == "submitted" and filing["uscc"] == make_uscc(7)
    assert filing["staff_origins"] == [{"province": "湖北", "city": "武汉", "count": 40},
                                       {"province": "河南", "city": "信阳", "count": 20}]
    assert filing["needs"] == ["raw_materials", "financing"]
    assert filing["planned_start"] == "2020-02-17" and filing["contact_name"] == "王小明"
    rev = await staff_login(api.client, "rev", "reviewer", district="jiangan")
    resp = await api.client.post(f"/api/v1/filings/{filing['id']}/decision", headers=rev,
                                 json={"decision": "return", "reason": "隔离室数量有误",
                                       "version": filing["version"]})
    assert resp.status == 200
    pushed = await (await api.client.get("/api/v1/messages", headers=me)).json()
    assert any("隔离室数量有误" in m["text"] for m in pushed["messages"])
    status = await say(api, me, "复工申报进度")
    assert "已退回修改" in status and "隔离室数量有误" in status
    assert "武汉第一机械厂" in await say(api, me, "复工申报")  # reuse the last answers?
    assert "承诺" in await say(api, me, "是")  # every answer filled in but the pledge
    summary = await say(api, me, "是")
    assert "请核对复工申报" in summary and "武汉第一机械厂" in summary
    await say(api, me, "13")  # change: isolation rooms
    await say(api, me, "4")
    out = await say(api, me, "确认")
    assert "已收到" in out
    [again] = (await (await api.client.get("/api/v1/filings/mine", headers=me)).json())["items"]
    assert again["id"] == filing["id"] and again["state"] == "submitted"
    assert again["isolation_rooms"] == 4 and again["version"] == filing["version"] + 2


async def test_a_second_open_filing_in_chat_is_refused_with_its_number(api) -> None:
    first = await chat_session(api)
    await say(api, first, "复工申报")
    for text in [*ANSWERS, "湖北武汉 60", *REST]:
        await say(api, first, text)
    assert "已收到" in await say(api, first, "确认")
    [filed] = (await (await api.client.get("/api/v1/filings/mine",
                                           headers=first)).json())["items"]
    second = await chat_session(api)
    await say(api, second, "复工申报")
    for text in [*ANSWERS, "湖北武汉 60", *REST]:
        await say(api, second, text)
    out = await say(api, second, "确认")
    assert "已有一份未办结" in out and str(filed["id"]) in out
    mine = await (await api.client.get("/api/v1/filings/mine", headers=second)).json()
    assert mine["items"] == []


async def test_english_chat_and_status_without_filings(api) -> None:
    me = await chat_session(api)
    out = await say(api, me, "what is the status of my filing")
    assert "You have not filed" in out
    assert "registered name" in await say(api, me, "I want to reopen my shop")
