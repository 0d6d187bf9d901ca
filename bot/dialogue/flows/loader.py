"""Flow files → :class:`Flow` objects, collecting every structural problem found.

Semantic checks that need the other flows, the slot types or the action registry
live in :mod:`bot.dialogue.flows.validate`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

from bot.dialogue.flows import errors as E
from bot.dialogue.flows.conditions import ConditionError, parse_condition
from bot.dialogue.flows.model import (
    ActionStep,
    BranchStep,
    CallStep,
    CollectStep,
    ConfirmStep,
    Flow,
    LinkStep,
    Menu,
    SayStep,
    SetStep,
    Step,
    Text,
    Triggers,
)
from bot.dialogue.flows.yamlines import load_with_lines, strip_lines

STEP_KINDS = ("collect", "say", "confirm", "branch", "set", "action", "call", "link")
COMMON_KEYS = {"id", "when", "__line__"}
KIND_KEYS = {
    "collect": {"collect", "type", "prompt", "label", "reprompt", "optional", "profile", "params",
                "options", "options_from"},
    "say": {"say"},
    "confirm": {"confirm", "prompt"},
    "branch": {"branch"},
    "set": {"set"},
    "action": {"action", "params"},
    "call": {"call"},
    "link": {"link"},
}
DEFAULT_CONFIRM = Text("请核对以下信息：", "Please check your answers:")


class _FileContext:
    def __init__(self, file: str) -> None:
        self.file = file
        self.flow = ""
        self.problems: list[E.FlowError] = []

    def add(self, cls: type[E.FlowError], message: str, line: int, step: str = "") -> None:
        self.problems.append(cls(message, file=self.file, line=line, flow=self.flow, step=step))


def _text(ctx: _FileContext, node: Any, what: str, line: int, step: str = "") -> Text | None:
    if node is None:
        ctx.add(E.MissingFieldError, f"'{what}' is required (with zh and en)", line, step)
        return None
    if isinstance(node, str):
        ctx.add(E.MissingTranslationError,
                f"'{what}' must give both zh and en, e.g. {{zh: ..., en: ...}}", line, step)
        return None
    if not isinstance(node, dict):
        ctx.add(E.BadValueError, f"'{what}' must be a mapping with zh and en", line, step)
        return None
    line = node.get("__line__", line)
    missing = [lang for lang in ("zh", "en") if not str(node.get(lang) or "").strip()]
    if missing:
        ctx.add(E.MissingTranslationError, f"'{what}' has no {' or '.join(missing)} text",
                line, step)
        return None
    return Text(str(node["zh"]), str(node["en"]))


def _triggers(ctx: _FileContext, node: Any, line: int) -> Triggers:
    if node is None:
        return Triggers()
    if not isinstance(node, dict):
        ctx.add(E.BadValueError, "'start' must be a mapping (intents, keywords, menu_key, "
                "scene_prefix)", line)
        return Triggers()
    unknown = set(node) - {"intents", "keywords", "menu_key", "scene_prefix", "__line__"}
    if unknown:
        ctx.add(E.BadValueError, f"unknown keys in 'start': {sorted(unknown)}",
                node.get("__line__", line))

    def strings(key: str) -> tuple[str, ...]:
        value = node.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            ctx.add(E.BadValueError, f"'start.{key}' must be a list of texts", node["__line__"])
            return ()
        return tuple(value)

    return Triggers(strings("intents"), strings("keywords"), str(node.get("menu_key") or ""),
                    str(node.get("scene_prefix") or ""))


def _step(ctx: _FileContext, node: Any, index: int, default_line: int) -> Step | None:
    if not isinstance(node, dict):
        ctx.add(E.BadValueError, f"step {index + 1} must be a mapping", default_line)
        return None
    line = node["__line__"]
    kinds = [k for k in STEP_KINDS if k in node]
    if len(kinds) != 1:
        others = sorted(set(node) - COMMON_KEYS)
        ctx.add(E.UnknownStepTypeError,
                f"step {index + 1} must have exactly one of {', '.join(STEP_KINDS)}; "
                f"found {others or 'none'}", line, str(node.get("id", "")))
        return None
    kind = kinds[0]
    default_id = node[kind] if kind == "collect" and isinstance(node[kind], str) \
        else f"{kind}_{index + 1}"
    step_id = str(node.get("id") or default_id)
    unknown = set(node) - COMMON_KEYS - KIND_KEYS[kind]
    if unknown:
        ctx.add(E.BadValueError, f"unknown keys for a {kind} step: {sorted(unknown)}", line,
                step_id)
    when = None
    if "when" in node:
        try:
            when = parse_condition(node["when"])
        except ConditionError as err:
            ctx.add(E.BadConditionError, f"'when': {err}", line, step_id)
    base = {"id": step_id, "line": line, "when": when}
    value = node[kind]
    if kind == "collect":
        if not isinstance(value, str) or not value.isidentifier():
            ctx.add(E.BadValueError, "'collect' names the slot: letters, digits, _", line, step_id)
            return None
        params = dict(strip_lines(node.get("params") or {}))
        if "options" in node:
            params["options"] = strip_lines(node["options"])
        if "options_from" in node:
            params["options_from"] = node["options_from"]
        prompt = _text(ctx, node.get("prompt"), "prompt", line, step_id)
        label = _text(ctx, node.get("label"), "label", line, step_id) if "label" in node \
            else prompt
        reprompt = _text(ctx, node["reprompt"], "reprompt", line, step_id) \
            if "reprompt" in node else None
        if "type" not in node:
            ctx.add(E.MissingFieldError, "'type' is required for collect", line, step_id)
            return None
        if prompt is None or label is None:
            return None
        return CollectStep(**base, slot=value, type=str(node["type"]), prompt=prompt,
                           label=label, reprompt=reprompt, optional=bool(node.get("optional")),
                           profile=bool(node.get("profile")), params=params)
    if kind == "say":
        text = _text(ctx, value, "say", line, step_id)
        return SayStep(**base, text=text) if text else None
    if kind == "confirm":
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            ctx.add(E.BadValueError, "'confirm' lists the slots to show", line, step_id)
            return None
        prompt = _text(ctx, node["prompt"], "prompt", line, step_id) if "prompt" in node \
            else DEFAULT_CONFIRM
        return ConfirmStep(**base, slots=tuple(value), prompt=prompt) if prompt else None
    if kind == "branch":
        return _branch(ctx, value, base, line, step_id)
    if kind == "set":
        if not isinstance(value, dict) or len(value) <= 1:
            ctx.add(E.BadValueError, "'set' maps slot names to values", line, step_id)
            return None
        return SetStep(**base, values=strip_lines(value))
    if kind == "action":
        params = node.get("params") or {}
        if not isinstance(value, str) or not isinstance(params, dict):
            ctx.add(E.BadValueError, "'action' names a registered action; 'params' is a mapping",
                    line, step_id)
            return None
        return ActionStep(**base, action=value, params=strip_lines(params))
    if not isinstance(value, str) or not value:
        ctx.add(E.BadValueError, f"'{kind}' names a flow id", line, step_id)
        return None
    return CallStep(**base, flow=value) if kind == "call" else LinkStep(**base, flow=value)


def _branch(ctx: _FileContext, value: Any, base: dict[str, Any], line: int,
            step_id: str) -> BranchStep | None:
    if not isinstance(value, list) or not value:
        ctx.add(E.BadValueError, "'branch' is a list of {if: condition, goto: step} "
                "with an optional last {goto: step}", line, step_id)
        return None
    cases: list[tuple[Any, str]] = []
    default = None
    for i, case in enumerate(value):
        case_line = case.get("__line__", line) if isinstance(case, dict) else line
        if not isinstance(case, dict) or not isinstance(case.get("goto"), str):
            ctx.add(E.BadValueError, "each branch case needs 'goto: <step id or end>'",
                    case_line, step_id)
            return None
        if "if" not in case:
            if i != len(value) - 1:
                ctx.add(E.BadValueError, "only the last branch case may omit 'if'",
                        case_line, step_id)
            default = case["goto"]
            continue
        try:
            cases.append((parse_condition(case["if"]), case["goto"]))
        except ConditionError as err:
            ctx.add(E.BadConditionError, str(err), case_line, step_id)
            return None
    return BranchStep(**base, cases=tuple(cases), default=default)


def parse_flow_text(text: str, file: str) -> tuple[Flow | Menu | None, list[E.FlowError]]:
    """Parse one flow (or the menu) file; returns the object (or None) and its problems."""
    ctx = _FileContext(file)
    try:
        data = load_with_lines(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        ctx.add(E.YamlSyntaxError, f"not valid YAML: {getattr(err, 'problem', err)}",
                mark.line + 1 if mark else 0)
        return None, ctx.problems
    if not isinstance(data, dict):
        ctx.add(E.BadValueError, "a flow file holds one mapping (id, title, start, steps)", 1)
        return None, ctx.problems
    if data.get("kind") == "menu":
        return _menu(ctx, data), ctx.problems
    if data.get("kind") not in (None, "flow"):
        return None, []  # another tool's file kept beside the flows (e.g. the WeChat menu)
    flow_id = data.get("id")
    if not isinstance(flow_id, str) or not flow_id.isidentifier():
        ctx.add(E.MissingFieldError, "'id' is required: letters, digits and _", data["__line__"])
        return None, ctx.problems
    ctx.flow = flow_id
    unknown = set(data) - {"id", "title", "description", "start", "steps", "menu", "__line__"}
    if unknown:
        ctx.add(E.BadValueError, f"unknown top-level keys: {sorted(unknown)}", data["__line__"])
    title = _text(ctx, data.get("title"), "title", data["__line__"])
    description = _text(ctx, data["description"], "description", data["__line__"]) \
        if "description" in data else None
    triggers = _triggers(ctx, data.get("start"), data["__line__"])
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        ctx.add(E.MissingFieldError, "'steps' must be a non-empty list", data["__line__"])
        return None, ctx.problems
    steps = [s for i, node in enumerate(raw_steps) if (s := _step(ctx, node, i, data["__line__"]))]
    if title is None or ctx.problems:
        return None, ctx.problems
    flow = Flow(id=flow_id, title=title, triggers=triggers, steps=tuple(steps), file=file,
                line=data["__line__"], menu=bool(data.get("menu", True)), description=description,
                version=hashlib.sha256(text.encode()).hexdigest()[:16])
    return flow, ctx.problems


def _menu(ctx: _FileContext, data: dict[str, Any]) -> Menu | None:
    line = data["__line__"]
    greeting = _text(ctx, data.get("greeting"), "greeting", line)
    help_text = _text(ctx, data.get("help"), "help", line)
    fallback = _text(ctx, data.get("fallback"), "fallback", line)
    items = data.get("items") or []
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        ctx.add(E.BadValueError, "'items' lists flow ids", line)
        return None
    if not (greeting and help_text and fallback):
        return None
    return Menu(greeting, help_text, fallback, tuple(items), ctx.file)


def load_flow_file(path: Path) -> tuple[Flow | Menu | None, list[E.FlowError]]:
    """Read and parse one file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return None, [E.YamlSyntaxError(f"cannot read: {err}", file=str(path))]
    return parse_flow_text(text, str(path))
