"""The trust model through the real chat API and the real ``tongguan`` commands, on SQLite
and PostgreSQL: identity binding and re-binding, proxy limits, official statuses first,
status lists (dry run, commit, idempotence, rollback, pending), the resident register,
the append-only audit log.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import secrets
import subprocess
import sys

import pytest
import sqlalchemy as sa

import codes
from bot.config import DeclarationsSettings
from bot.services.declarations import declarations
from bot.services.declarations.texts import REFUSALS
from bot.web.keys import HUB_KEY
from tests.conftest import ROOT, TEST_SECRET, make_settings
from tests.services.declarations.test_declaration_flow import declare, say, session, token_of

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def valid_id(n: int) -> str:
    first = f"4201061980{1 + n % 12:02d}{1 + n // 12 % 28:02d}{n % 1000:03d}"
    return first + "10X98765432"[sum(int(c) * w for c, w in zip(first, _WEIGHTS,
                                                                    strict=True)) % 11]


ALICE, BOB, CAROL, DAVE, ERIN = (valid_id(n) for n in (1, 2, 3, 4, 5))


@pytest.fixture
def settings(database_url, tmp_path):  # type: ignore[no-untyped-def]
    return dataclasses.replace(
        make_settings(database_url, tmp_path),
        declarations=DeclarationsSettings(max_dependants=2, contact_zh="江岸区疾控 027-1234",
                                          contact_en="Jiang'an CDC, 027-1234"))


def cli(settings, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGGUAN_")}
    env.update(PYTHONPATH=str(ROOT), TONGGUAN_DATABASE_URL=settings.database_url,
               TONGGUAN_SECRET_KEY=TEST_SECRET, TONGGUAN_KEYS_DIR=str(settings.keys_dir),
               TONGGUAN_LOG_LEVEL="WARNING",
               TONGGUAN_DECLARATIONS_CONTACT_ZH=settings.declarations.contact_zh,
               TONGGUAN_DECLARATIONS_CONTACT_EN=settings.declarations.contact_en)
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, timeout=120)


def last_json(done: subprocess.CompletedProcess) -> dict:
    return json.loads(done.stdout.strip().splitlines()[-1])


async def scalar(client, sql: str, **params):  # type: ignore[no-untyped-def]
    async with client.app[HUB_KEY].db.sessions() as s:
        return await s.scalar(sa.text(sql), params)


async def subject_of(client, token: str) -> str:  # type: ignore[no-untyped-def]
    data = await (await client.get(f"/code/{token}/current.json")).json()
    return codes.verify_code(data["code"], trust_list=declarations(
        client.app[HUB_KEY]).signing.store.trust_list(at=client.app[HUB_KEY].clock.now())
    ).claims["sub"]


async def refused(client, headers, **kw) -> str:  # type: ignore[no-untyped-def]
    """Declare, expecting a refusal; its text. Then leave the flow (it waits at the summary,
    where a field could be corrected)."""
    replies = await declare(client, headers, **kw)
    assert not any(r["type"] == "image" for r in replies), replies
    await say(client, headers, "取消")
    return " ".join(r["text"] for r in replies)


async def notices(client, headers) -> list[str]:  # type: ignore[no-untyped-def]
    body = await (await client.get("/api/v1/messages", headers=headers)).json()
    return [m["text"] for m in body["messages"]]


# -- 1. who may declare for whom ------------------------------------------------------------
async def test_two_sessions_fight_over_one_id_and_a_worker_rebinds(client, settings):
    alice = await session(client)
    replies = await declare(client, alice, id_number=ALICE)
    assert "绿码" in replies[0]["text"]
    first = token_of(replies)
    subject = await subject_of(client, first)

    thief = await session(client)
    text = await refused(client, thief, id_number=ALICE, temp="36.6")
    assert "已由另一个" in text and "社区工作人员" in text and "未提交" in text
    account = re.search(r"账号标识：(web:[^\s）]+)", text).group(1)
    # nothing stored, Alice's code untouched
    assert await scalar(client, "SELECT count(*) FROM health_declarations") == 1
    assert (await client.get(f"/code/{first}/current.json")).status == 200
    assert "还没有" in (await say(client, thief, "我的健康码"))[0]["text"]

    # the same refusal in English, with the way out
    english = await session(client)
    for text in ["health declaration", "1", "Alice Wang", ALICE, "13812345678", "1",
                 "Huaqiao Street", "skip", "36.5", "8", "none", "no", "1", "yes"]:
        await say(client, english, text)
    replies = await say(client, english, "confirm")
    text = " ".join(r["text"] for r in replies)
    assert "already bound to another" in text and "community worker" in text

    # a community worker checks papers and re-binds (ID from stdin, not the command line)
    done = cli(settings, "declarations", "rebind", "--id-stdin", "--to", account,
               "--reason", "checked the ID card in person", stdin=ALICE + "\n")
    assert done.returncode == 0, done.stderr
    result = last_json(done)
    assert result["to"] == account and result["revoked"] == 1 and ALICE not in done.stdout
    assert (await client.get(f"/code/{first}/current.json")).status == 410
    assert "绿码" in (await declare(client, thief, id_number=ALICE))[0]["text"]
    assert "已由另一个" in await refused(client, alice, id_number=ALICE)

    bad = cli(settings, "declarations", "rebind", ALICE[:-1] + "0", "--to", account,
              "--reason", "checked papers")
    assert bad.returncode == 2 and "check character" in bad.stderr
    assert ALICE[:10] not in bad.stderr
    both = cli(settings, "declarations", "rebind", ALICE, "--id-stdin", "--to", account,
               "--reason", "checked papers", stdin=ALICE)
    assert both.returncode == 2 and "either" in both.stderr

    history = cli(settings, "declarations", "history", subject)
    assert history.returncode == 0, history.stderr
    lines = history.stdout.splitlines()
    assert any("binding" in line and account in line and "checked the ID card" in line
               for line in lines)
    assert any("green → none" in line and "cli:" in line for line in lines)
    # Alice's declaration, then the re-bound account's (the re-bind revoked the status)
    assert sum("status" in line and "- → green  self" in line for line in lines) == 2
    assert ALICE not in history.stdout


async def test_two_sessions_declaring_one_id_at_once(client):
    """Both reach the summary, then confirm at the same moment: one binds, one is refused."""
    from tests.services.declarations.test_declaration_flow import answers

    first, second = await session(client), await session(client)
    script = answers(id_number=CAROL, name="赵一鸣")
    for text in script[:-1]:
        await say(client, first, text)
        await say(client, second, text)
    done = await asyncio.gather(say(client, first, script[-1]), say(client, second, script[-1]))
    texts = [" ".join(r["text"] for r in replies) for replies in done]
    assert sorted("绿码" in t for t in texts) == [False, True], texts
    assert sum("已由另一个" in t for t in texts) == 1
    assert await scalar(client, "SELECT count(*) FROM health_declarations") == 1
    assert await scalar(client, "SELECT count(*) FROM health_statuses WHERE active") == 1
    assert await scalar(client, "SELECT count(*) FROM binding_audit") == 1


async def test_one_account_is_myself_for_one_id(client):
    headers = await session(client)
    await declare(client, headers, id_number=ALICE)
    assert "只能为一位本人申报" in await refused(client, headers, id_number=BOB, name="李四海")
    assert "请重新开始并选择「本人」" in await refused(client, headers, family=True,
                                                 id_number=ALICE, name="张三明")


async def test_proxy_limit_and_a_person_bound_to_their_own_account(client):
    parent = await session(client)
    replies = await declare(client, parent, family=True, id_number=BOB, name="王老五")
    assert "王*五" in replies[0]["text"]
    paper = await (await client.get(next(r["url"] for r in replies
                                         if r["type"] == "image"))).read()
    verdict = await (await client.post("/api/v1/verify", json={
        "code": codes.decode_image(paper)[0]})).json()
    assert verdict["valid"] and verdict["claims"]["proxy"] is True  # the code says so
    await declare(client, parent, family=True, id_number=CAROL, name="王老六")
    assert "最多可为 2 位家人代报" in await refused(client, parent, family=True,
                                                 id_number=DAVE, name="王老七")
    # declaring again for a dependant already counted is fine
    assert "王*五" in (await declare(client, parent, family=True, id_number=BOB,
                                      name="王老五"))[0]["text"]

    # Bob gets a phone and declares himself: his own code is not a proxy one
    bob = await session(client)
    replies = await declare(client, bob, id_number=BOB, name="王老五", temp="37.9")
    assert "黄码" in replies[0]["text"]
    live = await (await client.get(f"/code/{token_of(replies)}/current.json")).json()
    verdict = await (await client.post("/api/v1/verify", json={"code": live["code"]})).json()
    assert verdict["claims"]["proxy"] is False
    # the proxy can no longer change his status
    assert "已用本人账号完成申报" in await refused(client, parent, family=True, id_number=BOB,
                                                name="王老五")
    assert (await client.get(f"/code/{token_of(await say(client, bob, '我的健康码'))}"
                             "/current.json")).status == 200
    async with client.app[HUB_KEY].db.sessions() as s:
        colors = (await s.execute(sa.text(
            "SELECT color FROM health_statuses WHERE active"))).scalars().all()
    assert sorted(colors) == ["green", "yellow"]  # Carol's, Bob's own
    # Bob no longer takes one of the parent's places
    assert "王*七" in (await declare(client, parent, family=True, id_number=DAVE,
                                      name="王老七"))[0]["text"]


def test_every_text_in_both_languages():
    from datetime import UTC, datetime

    from bot.services.declarations.texts import list_notice, official_note

    for code, (zh, en) in REFUSALS.items():
        assert zh and en and zh != en, code
        assert re.search(r"[\u4e00-\u9fff]", zh) and not re.search(r"[\u4e00-\u9fff]", en)
    reasons = [{"zh": "密接", "en": "Close contact"}]
    until = datetime(2020, 2, 10, 4, 0, tzinfo=UTC)
    contact = ("社区", "your community")
    en = official_note("red", reasons, until, contact, "en")
    assert "red" in en and "Close contact" in en and "Feb 10 12:00" in en
    assert "your community" in en and not re.search(r"[\u4e00-\u9fff]", en)
    zh = official_note("red", reasons, until, contact, "zh")
    assert "红码" in zh and "02月10日 12:00" in zh and "社区" in zh
    both = list_notice("yellow", reasons, until, contact, proxy=True)
    assert "黄码" in both and "yellow" in both and "family member" in both


# -- 2. official status first -----------------------------------------------------------
async def test_official_red_survives_a_clean_declaration(client, settings):
    resident = await session(client)
    subject = await subject_of(client, token_of(await declare(client, resident,
                                                              id_number=ERIN)))
    done = cli(settings, "declarations", "set-status", subject, "--color", "red", "--reason",
               "密切接触者", "--reason-en", "Close contact", "--hours", "72")
    assert done.returncode == 0, done.stderr
    [notice] = await notices(client, resident)
    assert "红码" in notice and "密切接触者" in notice and "Close contact" in notice
    assert "江岸区疾控 027-1234" in notice

    replies = await declare(client, resident, id_number=ERIN)  # a clean declaration
    text = " ".join(r["text"] for r in replies)
    assert "红码" in replies[0]["text"] and "密切接触者" in replies[0]["text"]
    assert "由卫生健康部门设定" in text and "不能降低" in text and "江岸区疾控 027-1234" in text
    assert "有效至" in text
    # and it says so again with 我的健康码
    shown = " ".join(r["text"] for r in await say(client, resident, "我的健康码"))
    assert "红码" in shown and "由卫生健康部门设定" in shown
    # a declaration can raise: symptoms over an official yellow make it red
    done = cli(settings, "declarations", "set-status", subject, "--color", "yellow",
               "--reason", "次密接", "--reason-en", "Contact of a contact")
    assert done.returncode == 0, done.stderr
    replies = await declare(client, resident, id_number=ERIN, contact="是")
    assert "红码" in replies[0]["text"] and "次密接" in replies[0]["text"]
    assert not any("由卫生健康部门设定" in r["text"] for r in replies)

    done = cli(settings, "declarations", "history", subject)
    assert done.returncode == 0, (done.returncode, done.stderr)
    history = done.stdout
    assert "- → green  self" in history and "green → red  official" in history
    assert "red → red  official" in history and "yellow → red  self" in history


async def test_an_official_status_ends(database_url, tmp_path):
    from datetime import UTC, datetime

    from bot.assembly import open_hub
    from bot.clock import FixedClock
    from bot.services.declarations import Person, set_status
    from bot.services.declarations import declare as declare_for

    clock = FixedClock(datetime(2020, 2, 3, 8, 0, tzinfo=UTC))
    calm = {"temperature": 36.5, "symptoms": ["none"], "travel": ["none"], "contact": False,
            "quarantine": "free"}
    person = Person("张三明", ALICE, None)
    async with open_hub(make_settings(database_url, tmp_path), clock=clock,
                        with_dialogue=False) as hub:
        svc = declarations(hub)
        out = await declare_for(svc, person=person, answers=calm, user_key="web:a", proxy=False)
        await set_status(svc, subject=out.subject, color="yellow", reason_zh="核酸待复查",
                         reason_en="Retest pending", hours=2)
        clock.advance(hours=1)
        held = await declare_for(svc, person=person, answers=calm, user_key="web:a",
                                 proxy=False)
        assert held.decision.color == "yellow" and held.decision.held
        assert held.decision.valid_until == datetime(2020, 2, 3, 10, 0, tzinfo=UTC)
        clock.advance(hours=1, seconds=1)
        free = await declare_for(svc, person=person, answers=calm, user_key="web:a",
                                 proxy=False)
        assert free.decision.color == "green" and free.decision.official is None


LIST_HEAD = "身份证号,姓名\n"


async def test_status_list_dry_run_commit_idempotence_and_pending(client, settings, tmp_path):
    bound = await session(client)
    await declare(client, bound, id_number=ALICE)
    parent = await session(client)
    await declare(client, parent, family=True, id_number=BOB, name="王老五")
    bad_line = ALICE[:-1] + ("0" if ALICE[-1] != "0" else "1")
    rows = [f"{ALICE},张三明", f"{BOB},王老五", f"{CAROL},", f"{ALICE},张三明", bad_line,
            "12345"]
    listing = tmp_path / "list.csv"
    listing.write_text(LIST_HEAD + "\n".join(rows) + "\n", encoding="utf-8")
    args = ["declarations", "import-status", str(listing), "--color", "red", "--reason-zh",
            "确诊病例密接", "--reason-en", "Close contact of a case"]

    async def counts() -> tuple[int, int, int, int]:
        return tuple([await scalar(client, f"SELECT count(*) FROM {t}") for t in (
            "official_statuses", "status_audit", "outbox", "health_statuses")])

    before = await counts()
    done = cli(settings, *args, "--dry-run")
    assert done.returncode == 1
    assert "line 6: not a valid ID number (check character)" in done.stdout
    assert "line 7: not an 18-character ID number" in done.stdout
    assert bad_line not in done.stdout and ALICE not in done.stdout
    report = last_json(done)
    assert (report["invalid"], report["applied"]) == (2, False)
    done = cli(settings, *args)  # the real run with bad rows: nothing at all
    assert done.returncode == 1 and "nothing applied" in done.stdout
    assert await counts() == before

    listing.write_text(LIST_HEAD + "\n".join(rows[:4]) + "\n", encoding="utf-8")
    done = cli(settings, *args, "--dry-run")
    assert done.returncode == 0, done.stderr
    report = last_json(done)
    assert (report["rows"], report["matched"], report["unknown"], report["duplicates"],
            report["invalid"]) == (4, 2, 1, 1, 0)
    assert "dry run: nothing changed" in done.stdout and await counts() == before

    done = cli(settings, *args, "--hours", "48")
    assert done.returncode == 0, done.stderr
    report = last_json(done)
    assert report["applied"] and (report["matched"], report["unknown"]) == (2, 1)
    assert report["revoked_statuses"] == 2 and report["notices"] == 2
    batch = report["batch"]
    [notice] = await notices(client, bound)
    assert "您的健康码设为红码" in notice and "确诊病例密接" in notice
    [notice] = await notices(client, parent)
    assert "您代报的一位家人" in notice
    shown = " ".join(r["text"] for r in await say(client, bound, "我的健康码"))
    assert "红码" in shown and "确诊病例密接" in shown and "由卫生健康部门设定" in shown
    after = await counts()

    # the same file again changes nothing
    done = cli(settings, *args, "--hours", "48")
    assert done.returncode == 0, done.stderr
    report = last_json(done)
    assert (report["unchanged"], report["revoked_codes"], report["notices"]) == (3, 0, 0)
    assert await counts() == after

    # Carol was unknown: her list status waits for her first declaration
    carol = await session(client)
    replies = await declare(client, carol, id_number=CAROL, name="赵一鸣")
    assert "红码" in replies[0]["text"] and "确诊病例密接" in replies[0]["text"]
    subject = await subject_of(client, token_of(replies))
    history = cli(settings, "declarations", "history", subject)
    assert history.returncode == 0, (history.returncode, history.stderr)
    assert f"- → red  import {batch}" in history.stdout


async def test_a_failing_list_import_leaves_nothing(client, monkeypatch):
    from bot.services.declarations import officials

    parent = await session(client)
    await declare(client, parent, id_number=ALICE)
    svc = declarations(client.app[HUB_KEY])

    class Broken:
        @staticmethod
        def say(text: str) -> None:
            raise RuntimeError("the outbox step fails")

    tables = ("official_statuses", "status_audit", "outbox", "health_statuses", "health_codes")
    before = [await scalar(client, f"SELECT count(*) FROM {t}") for t in tables]
    active = await scalar(client, "SELECT count(*) FROM health_statuses WHERE active")
    monkeypatch.setattr(officials, "Reply", Broken)
    with pytest.raises(RuntimeError):
        await officials.import_statuses(svc, f"{ALICE}\n{BOB}\n", color="red",
                                        reason_zh="密接", reason_en="Contact", actor="test")
    assert [await scalar(client, f"SELECT count(*) FROM {t}") for t in tables] == before
    assert await scalar(client, "SELECT count(*) FROM health_statuses WHERE active") == active
    # and the import works once the failure is gone
    monkeypatch.undo()
    report = await officials.import_statuses(svc, f"{ALICE}\n{BOB}\n", color="red",
                                             reason_zh="密接", reason_en="Contact",
                                             actor="test")
    assert report.applied and (report.matched, report.unknown) == (1, 1)


async def test_the_audit_log_is_append_only(client):
    headers = await session(client)
    await declare(client, headers, id_number=ALICE)
    async with client.app[HUB_KEY].db.sessions() as s:
        assert await s.scalar(sa.text("SELECT count(*) FROM status_audit")) == 1
    for sql in ("UPDATE status_audit SET new_color = 'green'", "DELETE FROM status_audit",
                "UPDATE binding_audit SET new_key = 'web:x'", "DELETE FROM binding_audit"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            async with client.app[HUB_KEY].db.sessions.begin() as s:
                await s.execute(sa.text(sql))


# -- the resident register ----------------------------------------------------------------
async def test_register_name_must_match(client, settings, tmp_path):
    register = tmp_path / "residents.csv"
    register.write_text("身份证号,姓名,区,街道,楼栋\n"
                        f"{ALICE},张三明,江岸区,花桥街,一村12栋\n"
                        f"{BOB},Li Lei,江岸区,花桥街,一村12栋\n"
                        f"{CAROL[:-1]}0,王五,江岸区,花桥街,3栋\n", encoding="utf-8")
    done = cli(settings, "residents", "import", str(register))
    assert done.returncode == 1 and "line 4:" in done.stdout and "nothing imported" in done.stdout
    assert await scalar(client, "SELECT count(*) FROM residents") == 0
    register.write_text("\n".join(register.read_text(encoding="utf-8").splitlines()[:3]) + "\n",
                        encoding="utf-8")
    done = cli(settings, "residents", "import", str(register))
    assert done.returncode == 0, done.stderr
    assert last_json(done)["imported"] == 2
    assert last_json(cli(settings, "residents", "count")) == {"residents": 2}
    async with client.app[HUB_KEY].db.sessions() as s:
        raw = b"".join(bytes(r[0]) + bytes(r[1]) for r in (await s.execute(sa.text(
            "SELECT name, building FROM residents"))).all())
    assert "张三明".encode() not in raw and b"Li Lei" not in raw and "一村".encode() not in raw

    headers = await session(client)
    assert "与社区居民登记的信息不一致" in await refused(client, headers, id_number=ALICE,
                                                     name="张三丰")
    assert await scalar(client, "SELECT count(*) FROM health_declarations") == 0
    assert await scalar(client, "SELECT count(*) FROM health_subjects") == 0  # no trace
    assert "绿码" in (await declare(client, headers, id_number=ALICE, name="张 三明"))[0]["text"]
    other = await session(client)
    assert "绿码" in (await declare(client, other, id_number=BOB, name="ＬＩ lei"))[0]["text"]
    # someone not on the register: the checksum check alone, as without a register
    third = await session(client)
    assert "绿码" in (await declare(client, third, id_number=DAVE, name="赵一鸣"))[0]["text"]
    assert cli(settings, "residents", "clear").returncode == 2
    assert last_json(cli(settings, "residents", "clear", "--yes")) == {"deleted": 2}


def test_new_subjects_never_begin_with_a_dash():
    """An operator pastes a subject into ``tongguan declarations history SUBJECT``: one
    that began with ``-`` (1 in 64 of ``token_urlsafe``) read as an option, so the command
    failed with a usage error (CI saw it once, as an empty history)."""
    from bot.services.declarations.store import SUBJECT_BYTES, new_subject

    drawn = [new_subject() for _ in range(4000)]  # P(no dash | old draw) = (63/64)^4000
    assert not [s for s in drawn if s.startswith("-")]
    assert {len(s) for s in drawn} == {len(secrets.token_urlsafe(SUBJECT_BYTES))}
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", s) for s in drawn)
    assert len(set(drawn)) == len(drawn)


async def test_an_older_subject_with_a_dash_goes_after_double_dash(client, settings):
    done = cli(settings, "declarations", "history", "--", "-AbCdEfGhIjK")
    assert done.returncode == 2 and "no history for subject '-AbCdEfGhIjK'" in done.stderr
    assert "usage:" not in done.stderr
    done = cli(settings, "declarations", "history", "--help")
    assert "goes after --" in done.stdout
