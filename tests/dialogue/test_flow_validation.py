"""Load-time validation: each rule names file, line, flow and step; reload keeps last good."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.actions import ActionRegistry, ActionResult
from bot.dialogue.build import make_flow_registry

ROOT = Path(__file__).resolve().parents[2]

GOOD = """id: demo
title: {zh: 演示, en: Demo}
steps:
  - collect: n
    type: integer
    label: {zh: 数, en: Number}
    prompt: {zh: 几个？, en: "How many?"}
  - say: {zh: 好, en: OK}
"""

BROKEN = {
    "unknown-step-type": ("""id: demo
title: {zh: 演示, en: Demo}
steps:
  - say: {zh: 好, en: OK}
  - ask: n
""", 5),
    "missing-translation": ("""id: demo
title: {zh: 演示, en: Demo}
steps:
  - say: {zh: 好}
""", 4),
    "unknown-action": ("""id: demo
title: {zh: 演示, en: Demo}
steps:
  - action: no.such.action
""", 4),
    "bad-condition": ("""id: demo
title: {zh: 演示, en: Demo}
steps:
  - collect: n
    type: text
    label: {zh: 数, en: N}
    prompt: {zh: 几？, en: "N?"}
  - branch:
      - if: {slot: n, gt: 3}
        goto: end
""", 8),
    "unreachable-step": ("""id: demo
title: {zh: 演示, en: Demo}
steps:
  - branch:
      - goto: end
  - id: lost
    say: {zh: 到不了, en: Never}
""", 6),
    "duplicate-id": ("""id: demo
title: {zh: 演示, en: Demo}
steps:
  - id: a
    say: {zh: 一, en: One}
  - id: a
    say: {zh: 二, en: Two}
""", 6),
    "unknown-target": ("""id: demo
title: {zh: 演示, en: Demo}
steps:
  - call: nowhere
""", 4),
    "unknown-slot-type": ("""id: demo
title: {zh: 演示, en: Demo}
steps:
  - collect: n
    type: wishes
    label: {zh: 数, en: N}
    prompt: {zh: 几？, en: "N?"}
""", 4),
    "yaml-syntax": ("""id: demo
title: {zh: 演示, en: Which?}
steps: [
""", 0),
}


def registry(directory: Path):  # type: ignore[no-untyped-def]
    actions = ActionRegistry()

    async def noop(ctx):  # type: ignore[no-untyped-def]
        return ActionResult()

    actions.register("records.save", noop)
    return make_flow_registry(directory, actions)


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_each_rule_names_file_line_flow_and_step(tmp_path: Path, rule: str) -> None:
    text, line = BROKEN[rule]
    (tmp_path / "demo.yml").write_text(text, encoding="utf-8")
    reg = registry(tmp_path)
    problems = reg.load()
    matching = [p for p in problems if p.rule == rule]
    assert matching, [p.describe() for p in problems]
    described = matching[0].describe()
    assert str(tmp_path / "demo.yml") in described and f"[{rule}]" in described
    if line:
        assert matching[0].line == line
        assert "flow demo" in described
    assert "demo" not in reg.flows


def test_unknown_step_type_names_the_step(tmp_path: Path) -> None:
    (tmp_path / "demo.yml").write_text(BROKEN["unknown-step-type"][0]
                                       + "  - id: asked\n    ask: m\n", encoding="utf-8")
    found = [p.describe() for p in registry(tmp_path).load() if p.rule == "unknown-step-type"]
    assert len(found) == 2
    assert ":5 (flow demo, step 2):" in found[0]  # no id: its position
    assert ":6 (flow demo, step asked):" in found[1]


EVERYTHING_WRONG = """id: demo
title: {zh: 演示, en: Demo}
steps:
  - say: {zh: 好}
  - action: no.such.action
  - branch:
      - if: {slot: n, eq: 1}
        goto: nowhere
      - goto: broken
  - id: broken
    ask: n
  - collect: n
    type: integer
    prompt: {zh: 几？, en: "N?"}
"""


def test_every_problem_in_a_file_is_listed(tmp_path: Path) -> None:
    """Structural problems do not hide the cross-checks of the steps that did parse."""
    (tmp_path / "demo.yml").write_text(EVERYTHING_WRONG, encoding="utf-8")
    found = sorted((p.line, p.rule, p.step) for p in registry(tmp_path).load())
    assert found == [(4, "missing-translation", "say_1"),
                     (5, "unknown-action", "action_2"),
                     (6, "unknown-target", "branch_3"),  # 'nowhere'; 'broken' exists
                     (10, "unknown-step-type", "broken")]


def test_an_option_without_en_is_a_missing_translation_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "demo.yml").write_text("""id: demo
title: {zh: 演示, en: Demo}
steps:
  - collect: c
    type: choice
    label: {zh: 选, en: Pick}
    prompt: {zh: 哪个？, en: "Which?"}
    options:
      - {value: a, zh: 甲, en: A}
      - {value: b, zh: 乙}
""", encoding="utf-8")
    found = [(p.rule, p.line, p.step) for p in registry(tmp_path).load()]
    assert found == [("missing-translation", 10, "c")]


def test_validate_command_reports_a_file_that_used_to_crash_it(tmp_path: Path) -> None:
    (tmp_path / "demo.yml").write_text(
        GOOD.replace("    type: integer\n", "    type: integer\n    params: [1, 2]\n"),
        encoding="utf-8")
    (tmp_path / "other.yml").write_text(GOOD.replace("id: demo", "id: other"),
                                        encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "bot.cli", "flows", "validate", "--dir",
                             str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                            env=_env())
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{tmp_path / 'demo.yml'}:6 (flow demo, step n): 'params'" in result.stdout
    assert "1 flows valid, 1 problems" in result.stderr


def test_invalid_edit_keeps_last_good_version(tmp_path: Path) -> None:
    path = tmp_path / "demo.yml"
    path.write_text(GOOD, encoding="utf-8")
    reg = registry(tmp_path)
    assert reg.load() == []
    assert reg.flows["demo"].steps[1].text.zh == "好"
    path.write_text(GOOD.replace("say: {zh: 好, en: OK}", "say: {zh: 坏}"), encoding="utf-8")
    problems = reg.load()
    assert problems and problems[0].rule == "missing-translation"
    assert reg.flows["demo"].steps[1].text.zh == "好"  # last good still live
    path.write_text(GOOD.replace("好", "很好"), encoding="utf-8")
    assert reg.load() == []
    assert reg.flows["demo"].steps[1].text.zh == "很好"
    (tmp_path / "new.yml").write_text(GOOD.replace("id: demo", "id: other"), encoding="utf-8")
    assert reg.changed()
    reg.load()
    assert "other" in reg.flows


def test_repo_flows_are_valid() -> None:
    result = subprocess.run([sys.executable, "-m", "bot.cli", "flows", "validate"], cwd=ROOT,
                            capture_output=True, text=True, env=_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 problems" in result.stderr


def test_actions_command_lists_registered_actions() -> None:
    result = subprocess.run([sys.executable, "-m", "bot.cli", "flows", "actions"], cwd=ROOT,
                            capture_output=True, text=True, env=_env())
    assert result.returncode == 0, result.stderr
    assert "records.save\tsets: record_id" in result.stdout


def test_validate_command_lists_problems_and_fails(tmp_path: Path) -> None:
    (tmp_path / "demo.yml").write_text(BROKEN["unknown-action"][0], encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "bot.cli", "flows", "validate", "--dir",
                             str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                            env=_env())
    assert result.returncode == 1
    assert "no.such.action" in result.stdout and ":4" in result.stdout


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env["TONGGUAN_DATABASE_URL"] = "sqlite+aiosqlite:///:memory:"
    return env
