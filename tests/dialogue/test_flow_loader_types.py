"""A value of the wrong type anywhere in a flow file is reported, never raised."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dialogue.test_flow_validation import registry

HEAD = "id: demo\ntitle: {zh: 演示, en: Demo}\nsteps:\n"
ASK = "  - collect: n\n    type: {type}\n    prompt: {{zh: 几？, en: 'N?'}}\n"
CHOICES = ("    options:\n      - {value: a, zh: 甲, en: A}\n"
           "      - {value: OTHER, zh: 乙, en: B}\n")

#: name → (file text, rule, line, step label in the report or "" for none)
CASES = {
    "params is a list": (HEAD + ASK.format(type="integer") + "    params: [1, 2]\n",
                         "bad-value", 7, "n"),
    "options_from is a list": (HEAD + ASK.format(type="choice") + "    options_from: [a]\n",
                               "bad-value", 7, "n"),
    "params has a number key": (HEAD + ASK.format(type="text") + "    params: {1: 2}\n",
                                "bad-value", 7, "n"),
    "exclusive holds a list": (HEAD + ASK.format(type="multi_choice") + CHOICES
                               + "    params: {exclusive: [[a]]}\n", "bad-slot-params", 4, "n"),
    "option value is a list": (HEAD + ASK.format(type="multi_choice")
                               + CHOICES.replace("OTHER", "[b]"), "bad-value", 9, "n"),
    "type is a list": (HEAD + ASK.format(type="[integer]"), "bad-value", 5, "n"),
    "optional is text": (HEAD + ASK.format(type="text") + "    optional: sometimes\n",
                         "bad-value", 7, "n"),
    "text is a number": (HEAD + "  - say: {zh: 1, en: 2}\n", "bad-value", 4, "say_1"),
    "text is true/false": (HEAD + "  - say: {zh: 是, en: yes}\n", "bad-value", 4, "say_1"),
    "number key at top": (HEAD + "  - say: {zh: 好, en: OK}\n1: x\n", "bad-value", 1, ""),
    "number key in a condition": (HEAD + "  - when: {1: 2, foo: 3}\n    say: {zh: 好, en: OK}\n",
                                  "bad-condition", 4, "say_1"),
    "step id is a list": (HEAD + "  - id: [a]\n    say: {zh: 好, en: OK}\n", "bad-value", 4, "1"),
    "set key is a number": (HEAD + "  - set: {1: x}\n", "bad-value", 4, "set_1"),
    "step is null": (HEAD + "  - say: {zh: 好, en: OK}\n  -\n", "bad-value", 5, "2"),
    "goto is a mapping": (HEAD + "  - branch:\n      - goto: {a: 1}\n", "bad-value", 5,
                          "branch_1"),
    "menu flag is text": (HEAD + "  - say: {zh: 好, en: OK}\nmenu: maybe\n", "bad-value", 5, ""),
    "menu_key is a number": (HEAD + "  - say: {zh: 好, en: OK}\nstart: {menu_key: 5}\n",
                             "bad-value", 5, ""),
    "nested too deeply": ("id: demo\ntitle: " + "[" * 3000 + "]" * 3000 + "\n",
                          "yaml-syntax", 1, ""),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_wrong_type_is_reported_with_file_line_flow_and_step(tmp_path: Path, case: str) -> None:
    text, rule, line, step = CASES[case]
    path = tmp_path / "demo.yml"
    path.write_text(text, encoding="utf-8")
    reg = registry(tmp_path)
    problems = reg.load()
    matching = [p for p in problems if p.rule == rule]
    assert matching, [p.describe() for p in problems]
    described = matching[0].describe()
    assert matching[0].file == str(path) and matching[0].line == line, described
    if rule != "yaml-syntax":
        assert "(flow demo" in described, described
    if step:
        assert f"step {step})" in described, described
    assert "demo" not in reg.flows


def test_the_menu_file_reports_wrong_types(tmp_path: Path) -> None:
    (tmp_path / "menu.yml").write_text(
        "kind: menu\ngreeting: {zh: 你好, en: Hi}\nhelp: {zh: 帮助, en: 7}\n"
        "fallback: {zh: 没懂, en: Sorry}\nitems:\n  - [demo]\n", encoding="utf-8")
    reg = registry(tmp_path)
    found = {(p.rule, p.line) for p in reg.load()}
    assert {("bad-value", 3), ("bad-value", 6)} <= found
    assert reg.menu is None


@pytest.mark.parametrize("kind", ["flwo", "Menu", "[menu]"])
def test_a_misspelled_kind_is_reported(tmp_path: Path, kind: str) -> None:
    (tmp_path / "demo.yml").write_text(f"# a flow\nkind: {kind}\nid: demo\n", encoding="utf-8")
    problems = registry(tmp_path).load()
    assert [(p.rule, p.line) for p in problems] == [("bad-value", 2)], problems
    assert "unknown kind" in problems[0].message


def test_the_wechat_menu_file_is_left_alone() -> None:
    root = Path(__file__).resolve().parents[2]
    assert "kind: wechat_menu" in (root / "flows" / "wechat_menu.yml").read_text("utf-8")
    text = "kind: wechat_menu\nbutton:\n  - name: 健康申报\n    key: health_declaration\n"
    from bot.dialogue.flows.loader import parse_flow

    parsed = parse_flow(text, "flows/wechat_menu.yml")
    assert parsed.obj is None and parsed.problems == []
