"""The JSON chat API end to end, on SQLite and PostgreSQL, bad input included."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from bot.web.app import init_app
from tests.roles_support import grant, worker_session

# The screening flow is for community workers: its tests chat as one (worker_session).
WHERE = ["江岸区", "花桥街一村社区"]  #: the district and community it asks first
SCREENING = ["楼栋排查", *WHERE, "12号楼", "跳过", "十二", "30", "0", "3", "跳过"]


async def session(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    resp = await client.post("/api/v1/sessions")
    assert resp.status == 201
    return {"Authorization": "Bearer " + (await resp.json())["token"]}


async def say(client, headers, body):  # type: ignore[no-untyped-def]
    resp = await client.post("/api/v1/chat", json=body, headers=headers)
    assert resp.status == 200, await resp.text()
    return (await resp.json())["replies"]


async def test_screening_over_the_api_and_export(client, settings):
    headers = await worker_session(client)
    for text in SCREENING:
        replies = await say(client, headers, {"text": text})
    assert replies[-1]["type"] == "options" and "3. 楼栋：12号楼" in replies[-1]["text"]
    assert {o["value"] for o in replies[-1]["options"]} == {"确认", "修改"}
    done = await say(client, headers, {"choice": "确认"})
    assert any("已登记 12号楼" in r["text"] for r in done)
    assert any("3 位外地返回" in r["text"] for r in done)
    from bot.assembly import open_hub
    from bot.services.records import export_records

    async with open_hub(settings, with_dialogue=False) as hub:
        csv_text = await export_records(hub, "community_screening")
        async with hub.db.sessions() as s:
            raw = (await s.execute(sa.text("SELECT data FROM records"))).scalar_one()
    assert "12号楼" in csv_text and "households_visited" in csv_text
    assert "花桥街一村社区" in csv_text and ",jiangan," in csv_text
    assert "_district_options" not in csv_text  # the form's helpers are not answers
    assert "12号楼".encode() not in bytes(raw)  # sealed at rest


async def test_restart_mid_flow_loses_nothing(settings, aiohttp_client):
    first = await aiohttp_client(init_app(settings, background=False))
    headers = await worker_session(first)
    for text in SCREENING[:6]:
        await say(first, headers, {"text": text})
    await first.close()
    second = await aiohttp_client(init_app(settings, background=False))
    replies = await say(second, headers, {"text": "30"})
    assert "居家隔离" in replies[0]["text"]


async def test_user_comes_from_token_not_body(client):
    a = await worker_session(client)
    b = await worker_session(client)
    for text in ["楼栋排查", *WHERE]:
        await say(client, a, {"text": text})
    with_body_user = await client.post("/api/v1/chat", headers=b,
                                       json={"text": "12号楼", "user_id": "whoever"})
    assert with_body_user.status == 422  # unknown fields are refused, never trusted
    replies = await say(client, b, {"text": "12号楼"})
    assert "哪个单元" not in replies[0]["text"]  # b has no running flow; a's is untouched
    replies = await say(client, a, {"text": "12号楼"})
    assert "哪个单元" in replies[0]["text"]


async def test_bad_requests_get_json_4xx(client):
    headers = await session(client)
    cases = [
        ({}, None, 401, "unauthorized"),
        ({"Authorization": "Bearer nope"}, {"text": "hi"}, 401, "unauthorized"),
        (headers, b"{not json", 400, "invalid_json"),
        (headers, b"[1,2]", 400, "invalid_json"),
        (headers, {"text": 5}, 422, "invalid"),
        (headers, {"text": "a", "choice": "b"}, 422, "invalid"),
        (headers, {"location": {"lat": 91, "lng": 0}}, 422, "invalid"),
        (headers, {"location": {"lat": "x", "lng": 0}}, 422, "invalid"),
        (headers, {"text": "x" * 20001}, 413, "too_large"),
    ]
    for hdrs, body, status, code in cases:
        if isinstance(body, bytes):
            resp = await client.post("/api/v1/chat", data=body,
                                     headers={**hdrs, "Content-Type": "application/json"})
        else:
            resp = await client.post("/api/v1/chat", json=body, headers=hdrs)
        assert resp.status == status, (body, await resp.text())
        assert (await resp.json())["error"] == code
    resp = await client.post("/api/v1/chat", data=b"x" * 300_000, headers=headers)
    assert resp.status == 413


async def test_odd_texts_answered_in_users_language(client):
    headers = await session(client)
    for text in ["", "   ", "\x00\x1b[31m", "🙂🙂", "x" * 10000, "hello 你好 mixed"]:
        replies = await say(client, headers, {"text": text})
        assert replies and all(r["text"] for r in replies)
    en = await session(client)
    replies = await say(client, en, {"text": "hello"})
    assert "Hello" in replies[0]["text"]


async def test_outbox_messages_reach_the_web_chat(client, settings):
    """A client that never sends ``after`` gets each message once (no redelivery)."""
    headers = await session(client)
    await say(client, headers, {"text": "你好"})
    hub = client.app[__import__("bot.web.keys", fromlist=["HUB_KEY"]).HUB_KEY]
    from bot.db.models import ApiSession
    from bot.privacy import token_hash

    async with hub.db.sessions() as s:
        user_id = (await s.scalars(sa.select(ApiSession.user_id).where(
            ApiSession.token_hash == token_hash(headers["Authorization"][7:])))).one()
    from bot.messages import Reply

    await hub.outbox.enqueue(channel="web", user_id=user_id,
                             replies=[Reply.say("审核结果：通过")], dedupe_key="review-1")
    await hub.outbox.enqueue(channel="web", user_id=user_id,
                             replies=[Reply.say("审核结果：通过")], dedupe_key="review-1")
    resp = await client.get("/api/v1/messages?wait=1", headers=headers)
    assert [m["text"] for m in (await resp.json())["messages"]] == ["审核结果：通过"]
    resp = await client.get("/api/v1/messages", headers=headers)
    assert (await resp.json())["messages"] == []


async def test_openapi_describes_every_api_route(client):
    doc = await (await client.get("/api/v1/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    routes = {r.resource.canonical for r in client.app.router.routes()
              if r.resource is not None and r.resource.canonical.startswith("/api/")}
    assert routes <= set(doc["paths"]), routes - set(doc["paths"])
    refs: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            refs.extend(v for k, v in node.items() if k == "$ref")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    schemas = doc["components"]["schemas"]
    assert refs and all(r.removeprefix("#/components/schemas/") in schemas for r in refs)
    params = {p["name"] for p in doc["paths"]["/api/v1/messages"]["get"]["parameters"]}
    assert params == {"wait", "after"}
    history = doc["paths"]["/api/v1/history"]["get"]["responses"]["200"]
    assert "turns" in history["content"]["application/json"]["schema"]["properties"]


def test_settings_errors_are_one_line_exit_2(tmp_path: Path):
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "TONGGUAN_PORT": "eighty"}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "db", "upgrade"], cwd=root,
                            env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == "tongguan: config: port: expected int, got 'eighty'"
    env = {**os.environ, "PYTHONPATH": str(root), "TONGGUAN_SECRET_KEY": "short"}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "db", "upgrade"], cwd=root,
                            env=env, capture_output=True, text=True)
    assert result.returncode == 2 and "secret_key" in result.stderr
    assert "Traceback" not in result.stderr


async def test_a_new_session_has_its_conversation_ready_on_postgres(postgres_url, tmp_path,
                                                                    aiohttp_client):
    """The row is made with the session (batched), so the first message is one save;
    a row another process changes meanwhile is read afresh, nothing lost."""
    import sqlalchemy as sa

    from bot.assembly import open_hub
    from bot.db.models import Conversation
    from bot.web.app import init_app
    from tests.conftest import make_settings

    settings = make_settings(postgres_url, tmp_path)
    client = await aiohttp_client(init_app(settings, background=False))
    headers = await session(client)
    hub = client.app[__import__("bot.web.keys", fromlist=["HUB_KEY"]).HUB_KEY]
    async with hub.db.sessions() as s:
        [(user_key, version)] = (await s.execute(
            sa.select(Conversation.user_key, Conversation.version))).all()
    assert version == 0 and user_key.startswith("web:")
    await grant(hub, user_key)  # a community worker: the screening flow is theirs
    async with open_hub(settings) as other:  # another process moves it on first
        from bot.messages import Inbound
        await other.engine.handle(Inbound(channel="web", user_id=user_key[4:], text="楼栋排查"))
    replies = await say(client, headers, {"text": "江岸区"})
    assert "哪个街道和社区" in replies[-1]["text"]  # answered the other process's question
    async with hub.db.sessions() as s:
        assert await s.scalar(sa.select(Conversation.version)) == 2
