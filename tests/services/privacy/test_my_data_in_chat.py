"""A resident asks in chat for their data and for its deletion (SQLite and PostgreSQL):
the summary names what is held about them and nothing of anyone else; a deletion not
confirmed removes nothing; a confirmed one removes what nothing requires and says what
was kept and why (an official status, a legal hold, a code in force); both are audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.assembly import open_hub
from bot.services.declarations import declarations, set_status
from bot.services.privacy.holds import place_hold
from bot.web.keys import HUB_KEY
from tests.conftest import make_settings
from tests.services.privacy.support import (
    NEW_ID,
    OFFICIAL_ID,
    OLD_ID,
    add_rows,
    answers,
    column,
    declare,
    say,
    subject_of,
)


async def api_session(client: Any) -> dict[str, str]:
    resp = await client.post("/api/v1/sessions")
    return {"Authorization": "Bearer " + (await resp.json())["token"]}


async def chat(client: Any, headers: dict[str, str], text: str) -> str:
    resp = await client.post("/api/v1/chat", json={"text": text}, headers=headers)
    assert resp.status == 200, await resp.text()
    return "\n".join(r.get("text", "") for r in (await resp.json())["replies"])


async def test_my_data_and_deletion_through_the_chat_api(client: Any) -> None:
    hub = client.app[HUB_KEY]
    alice, bob = await api_session(client), await api_session(client)
    for text in answers("张三明", OLD_ID):
        await chat(client, alice, text)
    for text in answers("李四光", NEW_ID):
        await chat(client, bob, text)

    mine = await chat(client, alice, "我的数据")
    assert "我们保存的关于您的信息" in mine and "张三明" in mine
    assert "110" + "*" * 11 + "002X" in mine and OLD_ID not in mine
    assert "李四光" not in mine and NEW_ID[-4:] not in mine  # nothing of bob's
    assert "健康申报：1 次" in mine and "绿码" in mine
    assert await column(hub, "SELECT action FROM staff_audit WHERE actor = 'resident'"
                        ) == ["privacy.view"]

    preview = await chat(client, alice, "删除我的数据")
    assert "将删除" in preview and "健康申报: 1" in preview.replace("：", ": ")
    assert "确定删除" in preview
    assert "没有删除任何数据" in await chat(client, alice, "否")
    assert await column(hub, "SELECT count(*) FROM health_declarations") == [2]

    await chat(client, alice, "删除我的数据")
    done = await chat(client, alice, "是")
    assert "已删除" in done and "您当前的健康码有效至" in done  # the code in force stays
    owners = await column(hub, "SELECT user_key FROM health_declarations")
    assert len(owners) == 1 and owners[0] != ""  # bob's only
    assert await column(hub, "SELECT count(*) FROM health_subjects WHERE bound_key IS NOT "
                             "NULL") == [1]
    assert "健康申报" not in (await chat(client, alice, "我的数据")).split("：", 1)[1].split(
        "聊天记录")[0]
    assert await column(hub, "SELECT action FROM staff_audit WHERE actor = 'resident' "
                             "ORDER BY id") == ["privacy.view", "privacy.erase",
                                                "privacy.view"]
    assert "declarations" in await column(hub, "SELECT kind FROM retention_log "
                                                "WHERE trigger = 'resident'")
    assert "李四光" in await chat(client, bob, "我的数据")  # bob's data is whole


async def test_english_and_what_an_official_status_or_a_legal_hold_keeps(
        database_url: str, tmp_path: Path) -> None:
    async with open_hub(make_settings(database_url, tmp_path)) as hub:
        await declare(hub, "off", OFFICIAL_ID, name="王官方")
        await set_status(declarations(hub), subject=await subject_of(hub, "off"), color="red",
                         reason_zh="密接", reason_en="close contact", hours=24 * 30)
        await add_rows(hub, "off", "1", hub.clock.now())
        await say(hub, "off", "English")
        summary = "\n".join(await say(hub, "off", "my data"))
        assert "What we hold about you" in summary and "red" in summary
        assert "the health authority (an official status)" in summary

        await say(hub, "off", "delete my data")
        done = "\n".join(await say(hub, "off", "yes"))
        assert "an official health status is in force until" in done
        assert await column(hub, "SELECT count(*) FROM health_declarations") == [1]
        assert await column(hub, "SELECT count(*) FROM records") == [0]
        assert await column(hub, "SELECT user_id FROM supply_reservations") == [""]

        await declare(hub, "held", OLD_ID)
        await add_rows(hub, "held", "2", hub.clock.now())
        await place_hold(hub, "web:held", "court order 12", actor="cli:test")
        await say(hub, "held", "删除我的数据")
        done = "\n".join(await say(hub, "held", "是"))
        assert "法律保全" in done
        assert await column(hub, "SELECT count(*) FROM records WHERE user_key = 'web:held'"
                            ) == [1]
        assert await column(hub, "SELECT count(*) FROM health_declarations "
                                 "WHERE user_key = 'web:held'") == [1]
