"""The health declaration end to end through the JSON chat API (SQLite and PostgreSQL)."""

from __future__ import annotations

import re

import sqlalchemy as sa

import codes
from bot.db.models import CodeIssue
from bot.services.declarations import declarations
from bot.web.keys import HUB_KEY

SELF_ID = "11010519491231002X"
PARENT_ID = "110105195001010012"


async def session(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    resp = await client.post("/api/v1/sessions")
    return {"Authorization": "Bearer " + (await resp.json())["token"]}


async def say(client, headers, text):  # type: ignore[no-untyped-def]
    resp = await client.post("/api/v1/chat", json={"text": text}, headers=headers)
    assert resp.status == 200, await resp.text()
    return (await resp.json())["replies"]


def answers(*, temp: str = "36.5", symptoms: str = "没有", contact: str = "否",
            quarantine: str = "未隔离", family: bool = False, id_number: str = SELF_ID,
            name: str = "张三明") -> list[str]:
    who = ["2", name, id_number, "跳过"] if family else ["1", name, id_number, "13812345678"]
    return ["健康申报", *who, "江岸区", "花桥街一村社区", "12号楼", temp, symptoms, "没有离开本市",
            contact, quarantine, "是", "确认"]


async def declare(client, headers, **kw):  # type: ignore[no-untyped-def]
    replies = []
    for text in answers(**kw):
        replies = await say(client, headers, text)
    return replies


def token_of(replies: list[dict]) -> str:
    link = next(r for r in replies if r["type"] == "link")
    return re.search(r"/code/([A-Za-z0-9_-]+)$", link["url"]).group(1)


async def test_green_yellow_red_and_revocation(client):
    headers = await session(client)
    replies = await declare(client, headers)
    assert "绿码" in replies[0]["text"]
    image = next(r for r in replies if r["type"] == "image")
    assert image["url"].endswith("/qr.png")
    link = next(r for r in replies if r["type"] == "link")
    assert link["url"].startswith("http://testserver/code/")
    first = token_of(replies)

    hub = client.app[HUB_KEY]
    png = await hub.media.getter(image["url"])(image["url"])
    text = codes.decode_image(png)[0]
    svc = declarations(hub)
    now = hub.clock.now()
    verdict = codes.verify_code(text, trust_list=svc.signing.store.trust_list(at=now))
    assert verdict.valid and verdict.claims["color"] == "green"
    assert SELF_ID not in verdict.claims["sub"] and len(verdict.claims["sub"]) == 12

    replies = await declare(client, headers, temp="37.8")
    assert "黄码" in replies[0]["text"] and "37.3" in replies[0]["text"]
    # the earlier live page is revoked, its code is on the revocation list
    resp = await client.get(f"/code/{first}/current.json")
    assert resp.status == 410 and (await resp.json())["error"] == "revoked"
    resp = await client.post("/api/v1/verify", json={"code": text})
    body = await resp.json()
    assert body["valid"] is False and body["reason"] == "revoked"
    rl = await (await client.get("/api/v1/revocations")).text()
    signer = await (await client.get("/api/v1/list-signer")).read()
    assert codes.load_revocation_list(rl, signer_public_key=signer).is_revoked(
        bytes.fromhex(verdict.claims["cti"]))

    replies = await declare(client, headers, contact="是")
    assert "红码" in replies[0]["text"] and "接触" in replies[0]["text"]
    live = await client.get(f"/code/{token_of(replies)}/current.json")
    data = await live.json()
    assert data["color"] == "red" and data["masked_name"] == "张*明"
    assert (await (await client.post("/api/v1/verify", json={"code": data["code"]})).json())[
        "valid"]

    async with hub.db.sessions() as s:
        rows = (await s.execute(sa.text(
            "SELECT name, id_number, phone FROM health_declarations"))).all()
    raw = b"".join(bytes(v) for row in rows for v in row if v is not None)
    assert len(rows) == 3 and SELF_ID.encode() not in raw and "张三明".encode() not in raw


async def test_proxy_declaration_gives_a_paper_code(client):
    headers = await session(client)
    replies = await declare(client, headers, family=True, id_number=PARENT_ID, name="王老五")
    assert "王*五" in replies[0]["text"]
    image = next(r for r in replies if r["type"] == "image")
    assert image["url"].endswith("/paper.png")
    resp = await client.get(image["url"])
    assert resp.status == 200 and resp.content_type == "image/png"
    text = codes.decode_image(await resp.read())[0]
    resp = await client.post("/api/v1/verify", json={"code": text})
    body = await resp.json()
    assert body["valid"] and body["claims"]["kind"] == "paper"
    # issued by the chat, logged like every paper code (pseudonymous subject, no identity)
    async with client.app[HUB_KEY].db.sessions() as s:
        [issue] = (await s.scalars(sa.select(CodeIssue))).all()
    assert (issue.channel, issue.actor, issue.kind) == ("chat", "chat-proxy", "paper")
    svc = declarations(client.app[HUB_KEY])
    claims = codes.verify_code(text, trust_list=svc.signing.store.trust_list(
        at=svc.hub.clock.now())).claims
    assert issue.subject == claims["sub"] and issue.code_id.hex() == claims["cti"]
    again = await client.get(image["url"])  # shown again, never issued again by a read
    assert codes.decode_image(await again.read()) == [text]
    shown = await say(client, headers, "我的健康码")
    assert any("王*五" in r["text"] for r in shown)


async def test_no_consent_stores_nothing(client):
    headers = await session(client)
    texts = answers()
    for text in texts[:-2]:
        await say(client, headers, text)
    replies = await say(client, headers, "否")
    assert any("没有保存" in r["text"] for r in replies)
    hub = client.app[HUB_KEY]
    async with hub.db.sessions() as s:
        assert (await s.scalar(sa.text("SELECT count(*) FROM health_declarations"))) == 0
    shown = await say(client, headers, "我的健康码")
    assert "还没有" in shown[0]["text"]
