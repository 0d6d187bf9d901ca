"""Rules file from settings, `tongguan declarations reapply-rules`, the travel question.

The re-apply test runs the real command (``python -m bot.cli``) against a stricter copy of
``risk_rules.yml`` on SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from bot.assembly import open_hub
from bot.services.declarations import Person, declarations, declare, load_rules
from bot.services.declarations.rules import REPO_ROOT, rules_path
from bot.services.declarations.store import latest_status, status_by_token, status_state
from bot.services.health_codes import all_revoked_code_ids, live_code
from tests.conftest import ROOT, TEST_SECRET, make_settings
from tests.services.declarations.test_declaration_flow import say, session

CALM = {"temperature": 36.5, "symptoms": ["none"], "contact": False, "quarantine": "free"}
#: (person, answers): travel from Wenzhou (yellow now, red under the stricter rules),
#: nothing (green), a cough (yellow under both versions).
PEOPLE = (
    (Person("赵一", "11010519491231002X", None), {**CALM, "travel": ["wenzhou"]}),
    (Person("钱二", "110105194912310038", None), {**CALM, "travel": ["none"]}),
    (Person("孙三", "110105195001010012", None), {**CALM, "symptoms": ["cough"],
                                                 "travel": ["none"]}),
)


def stricter_rules(path: Path) -> Path:
    data = yaml.safe_load((ROOT / "risk_rules.yml").read_text(encoding="utf-8"))
    for area in data["areas"]:
        if area["value"] == "wenzhou":
            area["color"] = "red"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def reapply_cli(settings, rules: Path) -> dict:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGGUAN_")}
    env.update(PYTHONPATH=str(ROOT), TONGGUAN_DATABASE_URL=settings.database_url,
               TONGGUAN_SECRET_KEY=TEST_SECRET, TONGGUAN_KEYS_DIR=str(settings.keys_dir),
               TONGGUAN_RISK_RULES_FILE=str(rules), TONGGUAN_LOG_LEVEL="WARNING")
    done = subprocess.run([sys.executable, "-m", "bot.cli", "declarations", "reapply-rules"],
                          cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


async def test_reapply_rules_command(database_url, tmp_path):
    settings = make_settings(database_url, tmp_path)
    before = []
    async with open_hub(settings, with_dialogue=False) as hub:
        svc = declarations(hub)
        first_version = svc.rules.version
        assert first_version == load_rules(ROOT / "risk_rules.yml").version
        for i, (person, answers) in enumerate(PEOPLE):
            out = await declare(svc, person=person, answers=answers, user_key=f"web:r{i}",
                                proxy=False)
            status = await status_by_token(svc, out.token)
            code = await live_code(svc, status)
            before.append((out, status, code))
    assert [s.color for _, s, _ in before] == ["yellow", "green", "yellow"]

    strict = stricter_rules(tmp_path / "strict.yml")
    strict_version = load_rules(strict).version
    assert strict_version != first_version  # the version follows the content
    counts = reapply_cli(settings, strict)
    assert counts == {"checked": 3, "changed": 1}

    async with open_hub(settings, with_dialogue=False) as hub:
        svc = declarations(hub)
        now = hub.clock.now()
        revoked = set(await all_revoked_code_ids(svc))
        # the affected subject: old page and code revoked, a red status under the new rules
        out, old, old_code = before[0]
        assert status_state(await status_by_token(svc, out.token), now) == "revoked"
        assert old_code.code_id in revoked
        [new] = await latest_status(svc, subject=out.subject)
        assert new.id != old.id and status_state(new, now) == "active"
        assert (new.color, new.rules_version, new.source) == ("red", strict_version, "reapply")
        assert new.valid_until == old.valid_until and new.masked_name == old.masked_name
        assert any("温州" in r["zh"] for r in new.reasons)
        code = await live_code(svc, new)
        verdict = svc.signing.verifier(revoked, now).verify(code.text, at=now)
        assert verdict.valid and verdict.claims["color"] == "red"
        assert verdict.claims["rules_version"] == strict_version
        assert not svc.signing.verifier(revoked, now).verify(old_code.text, at=now).valid
        # untouched subjects keep their status, page link and code
        for out, old, old_code in before[1:]:
            still = await status_by_token(svc, out.token)
            assert still.id == old.id and status_state(still, now) == "active"
            assert (still.color, still.rules_version) == (old.color, first_version)
            assert old_code.code_id not in revoked
            assert svc.signing.verifier(revoked, now).verify(old_code.text, at=now).valid

    # nothing changes on a second run
    assert reapply_cli(settings, tmp_path / "strict.yml") == {"checked": 3, "changed": 0}


def test_rules_file_resolves_cwd_then_repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert rules_path(Path("risk_rules.yml")) == REPO_ROOT / "risk_rules.yml"
    strict = load_rules(stricter_rules(tmp_path / "risk_rules.yml")).version
    assert rules_path(Path("risk_rules.yml")) == Path("risk_rules.yml")
    assert load_rules(Path("risk_rules.yml")).version == strict
    assert strict != load_rules(REPO_ROOT / "risk_rules.yml").version


async def test_hub_reads_rules_from_settings(database_url, tmp_path):
    strict = stricter_rules(tmp_path / "r.yml")
    settings = dataclasses.replace(make_settings(database_url, tmp_path), risk_rules_file=strict)
    async with open_hub(settings, with_dialogue=False) as hub:
        assert declarations(hub).rules.version == load_rules(strict).version


async def test_travel_none_cannot_be_combined(client):
    headers = await session(client)
    for text in ["健康申报", "1", "张三明", "11010519491231002X", "13812345678", "江岸区",
                 "花桥街一村社区", "跳过", "36.5", "没有"]:
        replies = await say(client, headers, text)
    options = [o["value"] for r in replies for o in r.get("options") or []]
    assert options[-1] == "none" and "wenzhou" in options
    replies = await say(client, headers, f"2,{len(options)}")  # Wenzhou + none
    assert any("不能与其他选项同时选择" in r["text"] for r in replies)
    replies = await say(client, headers, "没有离开本市")
    assert any("接触" in r["text"] for r in replies)  # accepted: the next question


async def test_code_set_status_command(database_url, tmp_path):
    """`tongguan code set-status SUBJECT --color red --reason ...`, as the issue names it."""
    settings = make_settings(database_url, tmp_path)
    async with open_hub(settings, with_dialogue=False) as hub:
        svc = declarations(hub)
        person, answers = PEOPLE[1]  # green
        out = await declare(svc, person=person, answers=answers, user_key="web:s",
                            proxy=False)
        old = await live_code(svc, await status_by_token(svc, out.token))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGGUAN_")}
    env.update(PYTHONPATH=str(ROOT), TONGGUAN_DATABASE_URL=settings.database_url,
               TONGGUAN_SECRET_KEY=TEST_SECRET, TONGGUAN_KEYS_DIR=str(settings.keys_dir),
               TONGGUAN_LOG_LEVEL="WARNING")
    args = [sys.executable, "-m", "bot.cli", "code", "set-status"]
    done = subprocess.run([*args, out.subject, "--color", "red", "--reason", "密接"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["color"] == "red" and result["revoked"] >= 1
    missing = subprocess.run([*args, "no-such-subject", "--color", "red", "--reason", "x"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "no subject" in missing.stderr
    assert "Traceback" not in missing.stderr
    async with open_hub(settings, with_dialogue=False) as hub:
        assert old.code_id in set(await all_revoked_code_ids(declarations(hub)))
