"""The NLU editor's API (issue 15 §4): view, check, save (retrain + hot swap in this
process), one example added, the cross-validation report, wrong callers and bad input
refused with zh/en messages and nothing saved; on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from bot.services.nlu_versions import nlu_versions
from bot.services.staff import read_audit
from bot.web.keys import HUB_KEY
from tests.roles_support import worker_session
from tests.staff_support import staff_login

BASE = "/api/v1/admin/nlu"
NEW = "查一下隔离酒店还有空房吗"  # nothing like it in intents/


async def shown(client: Any, headers: dict[str, str]) -> dict[str, Any]:
    resp = await client.get(BASE, headers=headers)
    assert resp.status == 200, await resp.text()
    return await resp.json()


def with_intent(body: dict[str, Any], name: str, examples: list[str]) -> list[dict[str, Any]]:
    return [*body["intents"], {"name": name, "examples": examples}]


async def versions(client: Any) -> int:
    row = await nlu_versions(client.server.app[HUB_KEY]).live()
    assert row is not None
    return row.version


async def parse(client: Any, headers: dict[str, str], text: str) -> str:
    resp = await client.post(BASE + "/parse", headers=headers, json={"text": text})
    assert resp.status == 200, await resp.text()
    return (await resp.json())["intent"]["name"]


async def test_view_save_retrain_and_report(client):  # type: ignore[no-untyped-def]
    admin = await staff_login(client, "wang", "admin")
    body = await shown(client, admin)
    assert body["version"] == 1 and body["served_version"] == 1
    assert body["backend"] == "builtin" and body["rasa"]["configured"] is False
    names = [i["name"] for i in body["intents"]]
    assert {"declare_health", "filing_status", "my_data"} <= set(names)
    assert body["history"][0]["author"] == "files"
    assert await parse(client, admin, NEW) != "quarantine_hotel"

    examples = [NEW, "隔离酒店在哪里", "隔离点还有位置吗", "where is the quarantine hotel",
                "is there room at the quarantine hotel", "quarantine hotel rooms"]
    resp = await client.post(BASE + "/versions", headers=admin, json={
        "intents": with_intent(body, "quarantine_hotel", examples), "base_version": 1,
        "note": "hotels"})
    assert resp.status == 201, await resp.text()
    saved = await resp.json()
    assert saved["version"] == 2 and saved["served_version"] == 2
    assert saved["train_seconds"] < 5
    assert await parse(client, admin, "隔离酒店还有房间吗") == "quarantine_hotel"
    # the chat uses the swapped model too
    hub = client.server.app[HUB_KEY]
    assert (await hub.interpreter.parse("隔离酒店还有房间吗")).intent.name == "quarantine_hotel"

    resp = await client.post(BASE + "/examples", headers=admin, json={
        "intent": "quarantine_hotel", "text": "酒店隔离怎么安排", "base_version": 2})
    assert resp.status == 201, await resp.text()
    body = await shown(client, admin)
    assert body["version"] == 3
    hotel = next(i for i in body["intents"] if i["name"] == "quarantine_hotel")
    assert hotel["examples"][-1] == "酒店隔离怎么安排"
    audit = [(e.action, e.actor, e.object) for e in await read_audit(hub)]
    assert ("nlu.save", "staff:wang", "nlu:2") in audit
    assert ("nlu.save", "staff:wang", "nlu:3") in audit

    report = await client.get(BASE + "/report", headers=admin)
    assert report.status == 200
    data = await report.json()
    assert data["version"] == 3 and data["folds"] == 5
    assert len(data["matrix"]) == len(data["labels"]) == len(body["intents"])
    row = next(i for i in data["intents"] if i["name"] == "declare_health")
    assert 0.5 < row["precision"] <= 1 and 0.5 < row["recall"] <= 1 and row["support"] > 50
    svg = await client.get(BASE + "/report.svg", headers=admin)
    assert svg.content_type == "image/svg+xml"
    assert "quarantine_hotel" in await svg.text()


async def test_conflicts_are_flagged_and_need_consent(client):  # type: ignore[no-untyped-def]
    admin = await staff_login(client, "wang", "admin")
    body = await shown(client, admin)
    intents = body["intents"]
    status = next(i for i in intents if i["name"] == "filing_status")
    resumption = next(i for i in intents if i["name"] == "file_resumption")
    # near-same text under the other intent: a conflict (warning), shown by the check
    assert "我的复工申请批了吗" in status["examples"]
    resumption["examples"].append("我的复工申请批了吗呀")
    check = await (await client.post(BASE + "/check", headers=admin,
                                     json={"intents": intents})).json()
    assert not check["ok"]
    conflict = next(p for p in check["problems"] if p["kind"] == "conflict")
    assert conflict["severity"] == "warning"
    assert {conflict["intent"], conflict["other_intent"]} == {"filing_status",
                                                             "file_resumption"}
    resp = await client.post(BASE + "/versions", headers=admin,
                             json={"intents": intents, "base_version": 1})
    assert resp.status == 422
    assert (await resp.json())["problems"][0]["kind"] == "conflict"
    assert await versions(client) == 1
    resp = await client.post(BASE + "/versions", headers=admin, json={
        "intents": intents, "base_version": 1, "accept_conflicts": True})
    assert resp.status == 201
    # a stale base is refused
    resp = await client.post(BASE + "/versions", headers=admin,
                             json={"intents": intents, "base_version": 1})
    assert resp.status == 409 and (await resp.json())["live_version"] == 2


async def test_bad_input_is_refused_and_nothing_saved(client):  # type: ignore[no-untyped-def]
    admin = await staff_login(client, "wang", "admin")
    body = await shown(client, admin)
    greet = next(i for i in body["intents"] if i["name"] == "greet")
    cases = [
        ("versions", {"intents": with_intent(body, "", ["你好啊"]), "base_version": 1},
         "bad_name"),
        ("versions", {"intents": with_intent(body, "nlu_fallback", ["x y"]),
                      "base_version": 1}, "bad_name"),
        ("versions", {"intents": with_intent(body, "hotel", []), "base_version": 1},
         "no_examples"),
        ("versions", {"intents": with_intent(body, "hotel", [greet["examples"][0]]),
                      "base_version": 1}, "duplicate"),
        ("versions", {"intents": with_intent(body, "hotel", ["酒店" * 400]),
                      "base_version": 1}, "too_long"),
        ("versions", {"intents": with_intent(body, "hotel", [f"酒店{i}号" for i in
                                                            range(5000)]),
                      "base_version": 1}, "too_many"),
        ("versions", {"intents": with_intent(body, "hotel", ["a\nb"]), "base_version": 1},
         "bad_text"),
        ("examples", {"intent": "no_such_intent", "text": "随便", "base_version": 1}, None),
        ("examples", {"intent": "greet", "text": greet["examples"][1], "base_version": 1},
         "duplicate"),
        ("examples", {"intent": "greet", "text": "", "base_version": 1}, "empty_example"),
        ("versions", {"intents": "greet", "base_version": 1}, None),
        ("versions", {"intents": [{"name": "x"}], "base_version": 1}, None),
        ("versions", {"intents": body["intents"]}, None),
    ]
    for path, payload, kind in cases:
        resp = await client.post(f"{BASE}/{path}", headers=admin, json=payload)
        assert resp.status == 422, (path, kind, await resp.text())
        data = await resp.json()
        assert data["message"] and data["message_zh"], data
        if kind:
            assert data["problems"][0]["kind"] == kind, data["problems"][:2]
    assert await versions(client) == 1
    assert not [e for e in await read_audit(client.server.app[HUB_KEY])
                if e.action == "nlu.save"]


async def test_wrong_callers(client):  # type: ignore[no-untyped-def]
    resident = await worker_session(client)
    reviewer = await staff_login(client, "liu", "reviewer")
    auditor = await staff_login(client, "zhao", "auditor")
    payload = {"intent": "greet", "text": "老乡好", "base_version": 1}
    for headers in ({}, resident):
        assert (await client.get(BASE, headers=headers)).status == 401
        assert (await client.post(BASE + "/examples", headers=headers,
                                  json=payload)).status == 401
    for method, path in (("get", ""), ("get", "/report"), ("post", "/examples"),
                         ("post", "/versions"), ("post", "/check")):
        resp = await getattr(client, method)(BASE + path, headers=reviewer, json=payload)
        assert resp.status == 403, path
    assert (await client.get(BASE, headers=auditor)).status == 200
    assert (await client.post(BASE + "/examples", headers=auditor,
                              json=payload)).status == 403
    assert await versions(client) == 1


async def test_the_rasa_backend_is_named_with_its_training_command(
        sqlite_url, tmp_path, aiohttp_client):  # type: ignore[no-untyped-def]
    import dataclasses

    from bot.web.app import init_app
    from tests.conftest import make_settings

    base = make_settings(sqlite_url, tmp_path)
    settings = dataclasses.replace(base, nlu=dataclasses.replace(
        base.nlu, backend="rasa", rasa_url="http://127.0.0.1:9"))
    client = await aiohttp_client(init_app(settings, background=False))
    admin = await staff_login(client, "wang", "admin")
    body = await shown(client, admin)
    assert body["backend"] == "rasa" and body["rasa"]["configured"] is True
    assert "rasa train nlu" in body["rasa"]["command"]
    assert "tongguan nlu export" in body["rasa"]["command"]
