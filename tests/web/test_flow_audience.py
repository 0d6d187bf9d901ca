"""A flow for staff only (``audience: [community_worker]``, the screening flow) through the
real chat API and the real ``tongguan roles`` command, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import sqlalchemy as sa

from bot.dialogue.texts import t
from bot.web.app import init_app
from bot.web.keys import HUB_KEY
from tests.conftest import make_settings
from tests.roles_support import tongguan
from tests.web.test_chat_api import SCREENING, say

TITLE = "楼栋排查登记"
STAFF_ONLY = t("staff_only", "zh", flow=TITLE)


def labels(replies: list[dict]) -> list[str]:
    return [o["label"] for r in replies for o in r.get("options") or []]


async def records(client) -> int:  # type: ignore[no-untyped-def]
    async with client.app[HUB_KEY].db.sessions() as session:
        return await session.scalar(sa.text("SELECT count(*) FROM records"))


async def test_only_a_community_worker_may_start_the_screening(settings, aiohttp_client):
    first = await aiohttp_client(init_app(settings, background=False))
    resp = await first.post("/api/v1/sessions")
    assert resp.status == 201
    created = await resp.json()
    user_key, headers = created["user_key"], {"Authorization": f"Bearer {created['token']}"}
    assert user_key.startswith("web:")

    # (1) An anonymous session: told the flow is for staff, shown a menu without it.
    replies = await say(first, headers, {"text": "楼栋排查"})
    assert replies[0]["text"] == STAFF_ONLY
    assert labels(replies) and TITLE not in labels(replies)
    refused = await say(first, headers, {"start": "community_screening"})  # a deep link too
    assert refused[0]["text"] == STAFF_ONLY and TITLE not in labels(refused)
    replies = await say(first, headers, {"text": "12号楼"})  # no question was asked
    assert not any("哪个单元" in r["text"] for r in replies)
    assert await records(first) == 0

    # (2) An administrator grants the role with the real command line.
    granted = tongguan(settings, "roles", "grant", user_key, "community_worker")
    assert granted.returncode == 0, granted.stderr
    assert granted.stdout == f"{user_key} now holds community_worker\n"
    listed = [json.loads(line) for line in tongguan(settings, "roles", "list").stdout.splitlines()]
    assert [(r["user"], r["role"]) for r in listed] == [(user_key, "community_worker")]
    # A process trusts the roles it looked up for a few seconds: another server process
    # (a new app on the same database) sees the grant at once. The same token goes on.
    second = await aiohttp_client(init_app(settings, background=False))
    menu = await say(second, headers, {"text": "你好"})
    assert TITLE in labels(menu)  # the menu shows staff their flow
    for text in SCREENING:
        replies = await say(second, headers, {"text": text})
    assert "请核对本次排查登记" in replies[-1]["text"]
    done = await say(second, headers, {"choice": "确认"})
    assert any("已登记 12号楼" in r["text"] for r in done)
    assert await records(second) == 1

    # (3) Revoked: refused again (by a process that has not cached the role).
    revoked = tongguan(settings, "roles", "revoke", user_key, "community_worker")
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout == f"{user_key} no longer holds community_worker\n"
    third = await aiohttp_client(init_app(settings, background=False))
    replies = await say(third, headers, {"text": "楼栋排查"})
    assert replies[0]["text"] == STAFF_ONLY and TITLE not in labels(replies)
    assert TITLE not in labels(await say(third, headers, {"text": "你好"}))
    assert await records(third) == 1

    # (4) Granted again, scoped to a district: the screening takes it from the grant.
    scoped = tongguan(settings, "roles", "grant", user_key, "community_worker",
                      "--district", "武昌区")
    assert scoped.returncode == 0, scoped.stderr
    assert scoped.stdout == f"{user_key} now holds community_worker in 武昌区\n"
    listed = [json.loads(line) for line in tongguan(settings, "roles", "list").stdout.splitlines()]
    assert [(r["user"], r["district"]) for r in listed] == [(user_key, "wuchang")]
    fourth = await aiohttp_client(init_app(settings, background=False))
    replies = await say(fourth, headers, {"text": "楼栋排查"})
    assert "哪个街道和社区" in replies[-1]["text"]  # not asked the district
    for text in SCREENING[2:]:
        replies = await say(fourth, headers, {"text": text})
    assert "请核对本次排查登记（武昌区）" in replies[-1]["text"]
    assert "所在区" not in replies[-1]["text"]
    await say(fourth, headers, {"choice": "确认"})
    from bot.services.records import export_records

    exported = await export_records(fourth.app[HUB_KEY], "community_screening")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [(r["district"], r["building"]) for r in rows] == [("jiangan", "12号楼"),
                                                             ("wuchang", "12号楼")]


def test_bad_roles_input_is_one_line_exit_2(sqlite_url: str, tmp_path: Path):
    settings = make_settings(sqlite_url, tmp_path)
    bad_role = tongguan(settings, "roles", "grant", "web:abc", "nobody")
    assert bad_role.returncode == 2 and "Traceback" not in bad_role.stderr
    complaint = [line for line in bad_role.stderr.splitlines() if "nobody" in line]
    assert len(complaint) == 1 and "community_worker" in complaint[0]  # names the roles
    for key in ("abc", "web:", ":abc", "web:" + "x" * 200):
        bad_key = tongguan(settings, "roles", "grant", key, "community_worker")
        assert bad_key.returncode == 2, key
        assert bad_key.stderr == ("tongguan: a user key is channel:user, e.g. "
                                  "wechat:<openid> or web:<id>\n"), key
        assert tongguan(settings, "roles", "revoke", key, "community_worker").returncode == 2
    for district in ("nowhere", "other"):  # a grant is scoped to a district on the map
        bad_district = tongguan(settings, "roles", "grant", "web:abc", "community_worker",
                                "--district", district)
        assert bad_district.returncode == 2 and "wuchang" in bad_district.stderr
    listed = tongguan(settings, "roles", "list")
    assert listed.returncode == 0 and listed.stdout == ""  # nothing was granted
