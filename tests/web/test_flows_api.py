"""The flow studio's API (issue 15 §1, §5): publish, history, diff, rollback, preview,
and every bad input refused at the right place with the live version untouched; on
SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from bot.services.flow_versions import flow_versions
from bot.services.staff import read_audit
from bot.web.keys import HUB_KEY
from tests.conftest import ROOT
from tests.roles_support import worker_session
from tests.staff_support import staff_login
from tests.web.test_chat_api import say, session

BASE = "/api/v1/admin/flows"
SCREENING = BASE + "/community_screening"
GOOD = (ROOT / "flows" / "community_screening.yml").read_text(encoding="utf-8")
EDITED = GOOD.replace("请输入楼栋号", "请告诉我楼号")


async def first_question(client) -> str:  # type: ignore[no-untyped-def]
    """A new community worker's building question (after the district and community)."""
    headers = await worker_session(client)
    for text in ["楼栋排查", "江岸区", "花桥街一村社区"]:
        replies = await say(client, headers, {"text": text})
    return replies[-1]["text"]


async def live(client) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    row = (await flow_versions(client.server.app[HUB_KEY]).live())["community_screening"]
    return row.version, row.yaml


async def records(client) -> int:  # type: ignore[no-untyped-def]
    async with client.server.app[HUB_KEY].db.sessions() as s:
        return int(await s.scalar(sa.text("SELECT count(*) FROM records")))


async def test_publish_history_diff_and_rollback(client):  # type: ignore[no-untyped-def]
    admin = await staff_login(client, "wang", "admin")
    listed = await (await client.get(BASE, headers=admin)).json()
    names = {i["name"]: i for i in listed["items"]}
    assert names["community_screening"]["version"] == 1
    assert names["community_screening"]["kind"] == "flow" and names["menu"]["kind"] == "menu"
    shown = await (await client.get(SCREENING, headers=admin)).json()
    assert shown["version"] == 1 and shown["yaml"] == GOOD
    assert [h["author"] for h in shown["history"]] == ["files"]

    resp = await client.post(SCREENING + "/publish", headers=admin,
                             json={"yaml": EDITED, "note": "shorter", "base_version": 1})
    assert resp.status == 201, await resp.text()
    assert await resp.json() == {"version": 2}
    assert "请告诉我楼号" in await first_question(client)  # served at once, no restart

    shown = await (await client.get(SCREENING, headers=admin)).json()
    assert shown["version"] == 2 and shown["yaml"] == EDITED
    assert [(h["version"], h["author"], h["note"]) for h in shown["history"]] == [
        (2, "wang", "shorter"), (1, "files", "from flows/community_screening.yml")]
    diff = await (await client.get(SCREENING + "/diff?from=1&to=2", headers=admin)).json()
    assert "-    prompt: {zh: 请输入楼栋号" in diff["diff"]
    assert "+    prompt: {zh: 请告诉我楼号" in diff["diff"]
    svg = await client.get(SCREENING + "/diagram.svg", headers=admin)
    assert svg.status == 200 and svg.content_type == "image/svg+xml"
    body = await svg.text()
    assert "ask building (text)" in body and "people_returned &gt; 0 → remind_returned" in body

    resp = await client.post(SCREENING + "/rollback", headers=admin, json={"version": 1})
    assert resp.status == 201 and await resp.json() == {"version": 3, "rollback_of": 1}
    assert "请输入楼栋号" in await first_question(client)
    assert await live(client) == (3, GOOD)
    audit = [(e.action, e.actor, e.object, e.detail.get("version"))
             for e in await read_audit(client.server.app[HUB_KEY])]
    assert ("flows.publish", "staff:wang", "flow:community_screening", 2) in audit
    assert ("flows.rollback", "staff:wang", "flow:community_screening", 3) in audit


async def test_a_new_flow_is_published_and_starts_in_chat(client):  # type: ignore[no-untyped-def]
    admin = await staff_login(client, "wang", "admin")
    text = ("id: mask_survey\ntitle: {zh: 口罩调查, en: Mask survey}\n"
            "start: {keywords: [口罩调查]}\nsteps:\n"
            "  - collect: masks\n    type: integer\n    label: {zh: 口罩数, en: Masks}\n"
            "    prompt: {zh: 家里还有几个口罩？, en: 'How many masks at home?'}\n"
            "  - action: records.save\n  - say: {zh: 谢谢, en: Thanks}\n")
    checked = await (await client.post(BASE + "/mask_survey/validate", headers=admin,
                                       json={"yaml": text})).json()
    assert checked == {"ok": True, "problems": []}
    resp = await client.post(BASE + "/mask_survey/publish", headers=admin,
                             json={"yaml": text, "note": "new", "base_version": None})
    assert resp.status == 201 and (await resp.json())["version"] == 1
    headers = await session(client)
    assert "几个口罩" in (await say(client, headers, {"text": "口罩调查"}))[0]["text"]
    assert (await say(client, headers, {"text": "3"}))[0]["text"] == "谢谢"
    assert await records(client) == 1


BAD = {
    "yaml": ("id: community_screening\ntitle: {zh: a, en: b\nsteps: []\n", "yaml-syntax"),
    "action": (GOOD.replace("action: records.save", "action: records.sav"), "unknown-action"),
    "step": (GOOD.replace("goto: remind_returned", "goto: remind_them"), "unknown-target"),
    "self": (GOOD.replace("  - id: done\n", "  - call: community_screening\n  - id: done\n"),
             "call-cycle"),
    "name": (GOOD.replace("id: community_screening", "id: other_name"), "bad-value"),
}


async def test_every_bad_draft_is_refused_where_it_is_and_live_is_untouched(
        client):  # type: ignore[no-untyped-def]
    admin = await staff_login(client, "wang", "admin")
    lines = {"action": GOOD.splitlines().index("    action: records.sav".replace(
        "records.sav", "records.save")) + 1}
    for what, (text, rule) in BAD.items():
        checked = await (await client.post(SCREENING + "/validate", headers=admin,
                                           json={"yaml": text})).json()
        assert checked["ok"] is False, what
        problem = checked["problems"][0]
        assert problem["rule"] == rule, (what, checked)
        assert problem["line"] >= 1 and problem["column"] >= 1 and problem["message"]
        if what in lines:
            assert problem["line"] == lines[what] - 1  # the step's first line (id: save)
        resp = await client.post(SCREENING + "/publish", headers=admin,
                                 json={"yaml": text, "note": what, "base_version": 1})
        assert resp.status == 422, what
        refused = await resp.json()
        assert refused["error"] == "invalid_flow" and refused["problems"] and \
            refused["message_zh"], what
        assert await live(client) == (1, GOOD), what
    yaml_problem = (await (await client.post(SCREENING + "/validate", headers=admin, json={
        "yaml": BAD["yaml"][0]})).json())["problems"][0]
    assert (yaml_problem["line"], yaml_problem["column"]) == (3, 6)
    assert "请输入楼栋号" in await first_question(client)
    assert [e.action for e in await read_audit(client.server.app[HUB_KEY])
            if e.action.startswith("flows.")] == []


async def test_a_huge_paste_is_refused_by_size(client, settings):  # type: ignore[no-untyped-def]
    admin = await staff_login(client, "wang", "admin")
    huge = GOOD + "# " + "x" * settings.flows_max_bytes + "\n"
    checked = await (await client.post(SCREENING + "/validate", headers=admin,
                                       json={"yaml": huge})).json()
    assert checked["ok"] is False and checked["problems"][0]["rule"] == "too-large"
    resp = await client.post(SCREENING + "/publish", headers=admin,
                             json={"yaml": huge, "note": "", "base_version": 1})
    assert resp.status == 422
    beyond = await client.post(SCREENING + "/publish", headers=admin, json={
        "yaml": "x" * 300_000, "note": "", "base_version": 1})  # past the body limit
    assert beyond.status == 413
    assert await live(client) == (1, GOOD)


async def test_a_stale_base_is_refused(client):  # type: ignore[no-untyped-def]
    admin = await staff_login(client, "wang", "admin")
    other = await staff_login(client, "liu", "admin")
    first = await client.post(SCREENING + "/publish", headers=other,
                              json={"yaml": EDITED, "note": "li", "base_version": 1})
    assert first.status == 201
    resp = await client.post(SCREENING + "/publish", headers=admin, json={
        "yaml": GOOD.replace("哪个单元", "几单元"), "note": "wang", "base_version": 1})
    assert resp.status == 409
    body = await resp.json()
    assert body["error"] == "stale_base" and body["live_version"] == 2 and body["message_zh"]
    assert await live(client) == (2, EDITED)


async def test_rollback_to_a_version_that_no_longer_passes(client):  # type: ignore[no-untyped-def]
    """Version 2 named an action that has since gone: rolling back to it is refused."""
    admin = await staff_login(client, "wang", "admin")
    store = flow_versions(client.server.app[HUB_KEY])
    gone = GOOD.replace("action: records.save", "action: records.retired")
    assert await store.publish("community_screening", gone, author="old", note="",
                               base_version=1) == 2
    resp = await client.post(SCREENING + "/publish", headers=admin,
                             json={"yaml": EDITED, "note": "", "base_version": 2})
    assert resp.status == 201
    resp = await client.post(SCREENING + "/rollback", headers=admin, json={"version": 2})
    assert resp.status == 422
    body = await resp.json()
    assert body["problems"][0]["rule"] == "unknown-action"
    assert await live(client) == (3, EDITED)
    missing = await client.post(SCREENING + "/rollback", headers=admin, json={"version": 9})
    assert missing.status == 404
    assert (await client.post(SCREENING + "/rollback", headers=admin,
                              json={"version": "1"})).status == 422


async def test_preview_runs_the_draft_with_actions_dry(client):  # type: ignore[no-untyped-def]
    admin = await staff_login(client, "wang", "admin")
    url = SCREENING + "/preview"
    first = await (await client.post(url, headers=admin, json={"yaml": EDITED})).json()
    # records.districts only reads: it runs for real, so the city's districts are offered
    [ask] = first["replies"]
    assert "在哪个区" in ask["text"] and "武昌区" in [o["label"] for o in ask["options"]]
    preview_id = first["preview_id"]
    for text in ["武昌区", "中南路街", "12号楼", "跳过", "十二", "30", "0", "3", "跳过"]:
        turn = await client.post(url, headers=admin, json={
            "yaml": EDITED, "text": text, "preview_id": preview_id})
        assert turn.status == 200, await turn.text()
        body = await turn.json()
        preview_id = body["preview_id"]
        if text == "中南路街":
            assert "请告诉我楼号" in body["replies"][0]["text"]
    assert "1. 所在区：武昌区" in body["replies"][-1]["text"]
    done = await (await client.post(url, headers=admin, json={
        "yaml": EDITED, "text": "确认", "preview_id": preview_id})).json()
    texts = " ".join(r["text"] for r in done["replies"])
    assert "records.save" in texts and "未执行" in texts
    assert await records(client) == 0  # nothing saved
    assert await live(client) == (1, GOOD)  # nor published
    broken = await client.post(url, headers=admin, json={"yaml": BAD["action"][0]})
    assert broken.status == 422
    expired = await client.post(url, headers=admin, json={
        "yaml": EDITED, "text": "1", "preview_id": "not-a-preview"})
    assert expired.status == 422 and (await expired.json())["error"] == "preview_expired"


async def test_wrong_callers(client):  # type: ignore[no-untyped-def]
    resident = await session(client)
    reviewer = await staff_login(client, "zhao", "reviewer")
    auditor = await staff_login(client, "qian", "auditor")
    publish = {"yaml": EDITED, "note": "", "base_version": 1}
    for headers, status in ((resident, 401), (reviewer, 403), (auditor, 403), ({}, 401)):
        assert (await client.post(SCREENING + "/publish", headers=headers,
                                  json=publish)).status == status
        assert (await client.post(SCREENING + "/rollback", headers=headers,
                                  json={"version": 1})).status == status
    for headers, status in ((resident, 401), (reviewer, 403)):
        assert (await client.get(SCREENING, headers=headers)).status == status
    assert (await client.get(SCREENING, headers=auditor)).status == 200  # auditors read
    assert (await client.get(BASE + "/nothing_here", headers=auditor)).status == 404
    assert await live(client) == (1, GOOD)


async def test_a_call_cycle_through_another_flow_is_refused(client):  # type: ignore[no-untyped-def]
    admin = await staff_login(client, "wang", "admin")

    def flow(name: str, then: str = "") -> str:
        return (f"id: {name}\ntitle: {{zh: {name}, en: {name}}}\nsteps:\n"
                f"  - say: {{zh: 你好, en: Hi}}\n{then}")

    for name, text in (("loop_a", flow("loop_a")),
                       ("loop_b", flow("loop_b", "  - call: loop_a\n"))):
        resp = await client.post(f"{BASE}/{name}/publish", headers=admin,
                                 json={"yaml": text, "note": "", "base_version": None})
        assert resp.status == 201, await resp.text()
    checked = await (await client.post(BASE + "/loop_a/validate", headers=admin, json={
        "yaml": flow("loop_a", "  - call: loop_b\n")})).json()
    assert [(p["rule"], p["line"]) for p in checked["problems"]] == [("call-cycle", 5)]
    assert "loop_a → loop_b → loop_a" in checked["problems"][0]["message"]


async def test_files_edited_while_running(sqlite_url, tmp_path, aiohttp_client, caplog):  # type: ignore[no-untyped-def]
    """A file edited while the server runs is published (author files) while the files
    own the flow; after a publish in the studio the file is left alone, with a warning."""
    import asyncio
    import logging
    import shutil

    from bot.web.app import init_app
    from tests.conftest import make_settings

    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    settings = make_settings(sqlite_url, tmp_path, flows_dir=flows,
                             flows_reload_seconds=0.05, flows_poll_seconds=0.05)
    client = await aiohttp_client(init_app(settings, background=True))
    admin = await staff_login(client, "wang", "admin")
    path = flows / "community_screening.yml"

    async def until(check) -> None:  # type: ignore[no-untyped-def]
        for _ in range(400):  # bounded: the follower ticks every 0.05 s
            if await check():
                return
            await asyncio.sleep(0.05)
        raise AssertionError("never happened")

    path.write_text(EDITED, encoding="utf-8")
    await until(lambda: _is(client, 2, "files"))
    assert "请告诉我楼号" in await first_question(client)

    resp = await client.post(SCREENING + "/publish", headers=admin,
                             json={"yaml": GOOD, "note": "back", "base_version": 2})
    assert resp.status == 201
    with caplog.at_level(logging.WARNING, logger="tongguan.flows"):
        path.write_text(EDITED.replace("请告诉我楼号", "楼号？"), encoding="utf-8")

        async def warned() -> bool:
            return any("flows.file_ignored name=community_screening" in r.getMessage()
                       for r in caplog.records)

        await until(warned)
    assert await live(client) == (3, GOOD)
    assert "请输入楼栋号" in await first_question(client)


async def _is(client, version: int, author: str) -> bool:  # type: ignore[no-untyped-def]
    row = (await flow_versions(client.server.app[HUB_KEY]).live())["community_screening"]
    return (row.version, row.author) == (version, author)
