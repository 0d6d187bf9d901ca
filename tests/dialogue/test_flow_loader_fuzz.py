"""Fuzz: no change to a real flow file makes loading or checking it raise.

Each example takes a file from flows/, changes its parsed YAML (a value replaced by one
of another type, a key or item dropped, garbage inserted, a node copied elsewhere),
dumps it back and loads it: every problem must come back as a report with file and line.
"""

from __future__ import annotations

import copy
import dataclasses
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.actions import ActionRegistry
from bot.assembly import action_hub
from bot.config import load_settings
from bot.dialogue.build import make_flow_registry, slot_param_problems
from bot.dialogue.flows.loader import COMMON_KEYS, FLOW_KEYS, KIND_KEYS, MENU_KEYS, parse_flow
from bot.dialogue.flows.model import Flow, Menu
from bot.dialogue.flows.validate import validate_flow, validate_menu
from tests.conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]
FILES = {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "flows").glob("*.yml"))}
DOCS = {name: yaml.safe_load(text) for name, text in FILES.items()}

KEYS = sorted(FLOW_KEYS | MENU_KEYS | COMMON_KEYS | set().union(*KIND_KEYS.values()) | {
    "if", "goto", "zh", "en", "value", "slot", "eq", "gt", "in", "contains", "filled", "all",
    "any", "not", "intents", "keywords", "menu_key", "scene_prefix", "exclusive", "min", "max",
    "mask", "fields", "button", "sub_button"})
SCALARS = (st.none() | st.booleans() | st.integers(-3, 3000) | st.floats(allow_nan=False)
           | st.dates() | st.text(max_size=5) | st.sampled_from([*KEYS, "end", "fever", "n"]))
MAP_KEYS = st.sampled_from(KEYS) | st.text(max_size=4) | st.integers(0, 9) | st.none()
GARBAGE = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(MAP_KEYS, inner, max_size=3), max_leaves=8)


def _nodes(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """Every (path, node) of a document, the root first."""
    found = [(path, node)]
    children = node.items() if isinstance(node, dict) else \
        enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        found += _nodes(child, (*path, key))
    return found


def _put(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return doc


def _mutate(doc: Any, data: st.DataObject) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        path, node = data.draw(st.sampled_from(_nodes(doc)), label="where")
        op = data.draw(st.sampled_from(["replace", "drop", "insert", "copy"]), label="op")
        if op == "insert" and isinstance(node, dict):
            node[data.draw(MAP_KEYS, label="key")] = data.draw(GARBAGE, label="value")
        elif op == "insert" and isinstance(node, list):
            node.insert(data.draw(st.integers(0, len(node))), data.draw(GARBAGE, label="value"))
        elif op == "drop" and path:
            parent = doc
            for key in path[:-1]:
                parent = parent[key]
            del parent[path[-1]]
        elif op == "copy":
            _, other = data.draw(st.sampled_from(_nodes(doc)), label="copied")
            doc = _put(doc, path, copy.deepcopy(other))
        else:
            doc = _put(doc, path, data.draw(GARBAGE, label="value"))
    return doc


def _dump(doc: Any) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def _actions() -> ActionRegistry:
    """This installation's real actions (names and the slots they set); no connection."""
    config = dataclasses.replace(load_settings(ROOT / "config.yml", env={}),
                                 database_url="sqlite+aiosqlite:///:memory:",
                                 secret_key=TEST_SECRET)
    return action_hub(config).actions


ACTIONS = _actions()
GOOD = {f.id: f for name, text in FILES.items()
        if isinstance(f := parse_flow(text, name).obj, Flow)}


def _check(flow: Flow, unparsed: frozenset[str] | None) -> list:  # type: ignore[type-arg]
    return validate_flow(flow, {**GOOD, flow.id: flow}, action_names=ACTIONS.names(),
                         action_sets=lambda name: ACTIONS.get(name).sets,
                         slot_param_problems=slot_param_problems, unparsed=unparsed)


def test_the_unchanged_files_load_cleanly() -> None:
    """The baseline the fuzzing departs from (so the checks below run deep)."""
    for name, text in FILES.items():
        parsed = parse_flow(text, name)
        assert parsed.problems == []
        if isinstance(parsed.obj, Flow):
            assert _check(parsed.obj, None) == []
    assert len(GOOD) >= 5


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(DOCS)), data=st.data())
def test_changed_files_are_reported_never_raised(name: str, data: st.DataObject) -> None:
    file = f"flows/{name}"
    parsed = parse_flow(_dump(_mutate(DOCS[name], data)), file)
    problems = list(parsed.problems)
    if isinstance(parsed.obj, Flow):
        problems += _check(parsed.obj, parsed.unparsed if parsed.problems else None)
    elif isinstance(parsed.obj, Menu):
        problems += validate_menu(parsed.obj, GOOD)
    for problem in problems:
        assert problem.file == file and problem.line >= 1, problem.describe()
        assert problem.describe().startswith(f"{file}:{problem.line}")


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(DOCS)), data=st.data())
def test_registry_reloads_keep_a_valid_live_set(name: str, data: st.DataObject) -> None:
    """Edit after edit, ``load`` never raises and what it serves passes every check."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for other, text in FILES.items():
            (directory / other).write_text(text, encoding="utf-8")
        registry = make_flow_registry(directory, ACTIONS)
        assert registry.load() == []
        for _ in range(2):
            text = _dump(_mutate(DOCS[name], data))
            (directory / name).write_text(text, encoding="utf-8")
            problems = registry.load()
            files = {str(directory / f) for f in FILES}
            assert all(p.file in files and p.line >= 1 for p in problems), \
                [p.describe() for p in problems]
            for flow in registry.flows.values():
                assert validate_flow(flow, registry.flows, action_names=ACTIONS.names(),
                                     action_sets=lambda n: ACTIONS.get(n).sets,
                                     slot_param_problems=slot_param_problems) == []

