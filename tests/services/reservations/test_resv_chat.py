"""The two flows through the chat API: reserve with a shared location (for oneself or a
family member), then cancel; a second session cannot reserve with a bound ID number."""

from __future__ import annotations

from datetime import date

from resv_helpers import reserve_in_chat, say, text

from bot.services.reservations import balances
from bot.services.reservations.identity import fake_id
from bot.web.auth import create_session
from bot.web.keys import HUB_KEY

ID = fake_id(21, last_odd=False)
GRANDPA = fake_id(22, birth=date(1940, 5, 5), last_odd=False)


async def cancel_first(client, auth) -> str:  # type: ignore[no-untyped-def]
    listed = text(await say(client, auth, {"text": "我的预约"}))
    await say(client, auth, {"text": "1"})
    await say(client, auth, {"text": "2"})  # cancel
    return listed + "\n" + text(await say(client, auth, {"text": "是"}))


async def test_reserve_then_cancel_in_chat(api) -> None:
    client, auth, sc, _ = api
    await say(client, auth, {"text": "我要约口罩"})
    await say(client, auth, {"text": "1"})  # adult masks
    stores = text(await say(client, auth, {"location": {"lat": 30.6082, "lng": 114.2952}}))
    assert "老百姓大药房（解放大道店）" in stores and "km" in stores
    await say(client, auth, {"text": "1"})
    whom = text(await say(client, auth, {"text": "1"}))  # for myself
    assert "姓名" in whom
    await say(client, auth, {"text": "张三"})
    summary = await say(client, auth, {"text": ID})
    done = await say(client, auth, {"text": "确认"})
    assert "取货码" in text(done), (text(summary), text(done))
    assert any(r["type"] == "image" and r["url"].endswith("/qr.png") for r in done)
    qr = next(r["url"] for r in done if r["type"] == "image")
    assert (await client.get(qr)).status == 200
    assert sum(b.active for b in await balances(sc)) == 1

    bye = await cancel_first(client, auth)
    assert "成人口罩" in bye and "已取消" in bye
    assert sum(b.active for b in await balances(sc)) == 0


async def test_for_a_family_member_and_a_cancel_gives_the_pack_back(api) -> None:
    client, auth, sc, _ = api
    done = await reserve_in_chat(client, auth, GRANDPA, family=True, name="张大爷")
    assert "取货码" in done, done
    again = await reserve_in_chat(client, auth, GRANDPA, family=True, name="张大爷")
    assert "已用完" in again and "02月14日" in again, again  # one pack per 10 days
    assert "已取消" in await cancel_first(client, auth)
    done = await reserve_in_chat(client, auth, GRANDPA, family=True, name="张大爷")
    assert "取货码" in done, done  # the cancelled pack was given back
    assert sum(b.active for b in await balances(sc)) == 1


async def test_a_second_session_cannot_reserve_with_a_bound_id(api) -> None:
    client, auth, sc, _ = api
    assert "取货码" in await reserve_in_chat(client, auth, ID)
    token, user_id = await create_session(client.server.app[HUB_KEY])
    other = {"Authorization": f"Bearer {token}"}
    refused = await reserve_in_chat(client, other, ID)
    assert "已绑定到另一个" in refused and "社区工作人员" in refused, refused
    assert f"web:{user_id}" in refused and ID not in refused
    # retrying cannot help, so the flow has ended: a second 确认 confirms nothing
    assert "取消" not in refused, refused
    after = text(await say(client, other, {"text": "确认"}))
    assert "取货码" not in after and "已绑定" not in after, after
    refused = await reserve_in_chat(client, other, ID, family=True)
    assert "只能由本人预约" in refused, refused
    assert sum(b.active for b in await balances(sc)) == 1  # the first one's hold stands
