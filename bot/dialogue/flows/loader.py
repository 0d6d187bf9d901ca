"""Flow files → :class:`Flow` objects, collecting every structural problem found.

A value of the wrong type anywhere becomes a reported problem, never an exception. A
flow with problems still comes back (``ParsedFile.obj``) holding the steps that did
parse, so the cross-checks of :mod:`bot.dialogue.flows.validate` (targets, actions and
slot types) can report theirs too; it must never go live.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.conditions import ConditionError, parse_condition
from bot.dialogue.flows import errors as E
from bot.dialogue.flows import model as M
from bot.dialogue.flows.model import Flow, Menu, Step, Text, Triggers
from bot.dialogue.flows.yamlines import (
    is_name,
    is_text,
    item_line,
    key_line,
    key_names,
    kind_of,
    line_of,
    load_with_lines,
    strip_lines,
)
from bot.roles import STAFF_ROLES

STEP_KINDS = ("collect", "say", "confirm", "branch", "set", "action", "call", "link")
COMMON_KEYS = {"id", "when"}
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
FLOW_KEYS = {"kind", "id", "title", "description", "start", "steps", "menu", "audience"}
MENU_KEYS = {"kind", "greeting", "help", "fallback", "items"}
#: ``kind`` of files kept beside the flows for other tools (skipped here)
OTHER_KINDS = frozenset({"wechat_menu"})
Ctx = E.FileProblems
Node = dict[Any, Any]
DEFAULT_CONFIRM = Text("请核对以下信息：", "Please check your answers:")


@dataclass
class ParsedFile:
    """One file's result: the flow or menu, its problems, and the steps that failed."""

    obj: Flow | Menu | None
    problems: list[E.FlowError] = field(default_factory=list)
    #: ids of steps that did not parse (a flow with problems holds the others)
    unparsed: frozenset[str] = frozenset()


def _triggers(ctx: Ctx, node: Any, line: int) -> Triggers:
    if node is None:
        return Triggers()
    if not isinstance(node, dict):
        ctx.add(E.BadValueError, "'start' must be a mapping (intents, keywords, menu_key, "
                f"scene_prefix), not {kind_of(node)}", line)
        return Triggers()
    line = line_of(node, line)
    unknown = set(node) - {"intents", "keywords", "menu_key", "scene_prefix"}
    if unknown:
        ctx.add(E.BadValueError, f"unknown keys in 'start': {key_names(unknown)}", line)

    def strings(key: str) -> tuple[str, ...]:
        value = node.get(key) or []
        if not isinstance(value, list) or not all(is_text(v) for v in value):
            ctx.add(E.BadValueError, f"'start.{key}' must be a list of texts",
                    key_line(node, key, line))
            return ()
        return tuple(value)

    def string(key: str) -> str:
        value = node.get(key)
        if value is not None and not isinstance(value, str):
            ctx.add(E.BadValueError, f"'start.{key}' must be text (quote it), not "
                    f"{kind_of(value)}", key_line(node, key, line))
            return ""
        return value or ""

    return Triggers(strings("intents"), strings("keywords"), string("menu_key"),
                    string("scene_prefix"))


def _step(ctx: Ctx, node: Any, index: int, line: int) -> Step | None:
    """One step, or None (its id noted in ``ctx.unparsed``) when it cannot be built."""
    label = str(index + 1)  # names a step without an id: "step 3"
    if not isinstance(node, dict):
        ctx.add(E.BadValueError, f"a step must be a mapping, not {kind_of(node)}", line, label)
        return None
    line = line_of(node, line)
    own_id = node.get("id")
    if "id" in node and not is_text(own_id):
        ctx.add(E.BadValueError, f"'id' must be text, not {kind_of(own_id)}",
                key_line(node, "id", line), label)
        own_id = None
    kinds = [k for k in STEP_KINDS if k in node]
    if len(kinds) != 1:
        others = key_names(set(node) - COMMON_KEYS)
        ctx.add(E.UnknownStepTypeError, f"a step must have exactly one of "
                f"{', '.join(STEP_KINDS)}; found {others or 'none'}", line, own_id or label)
        ctx.unparsed.add(own_id or label)
        return None
    kind = kinds[0]
    default_id = node[kind] if kind == "collect" and is_name(node[kind]) \
        else f"{kind}_{index + 1}"
    step_id = own_id or default_id
    unknown = set(node) - COMMON_KEYS - KIND_KEYS[kind]
    if unknown:
        ctx.add(E.BadValueError, f"unknown keys for a {kind} step: {key_names(unknown)}", line,
                step_id)
    when = None
    if "when" in node:
        try:
            when = parse_condition(node["when"])
        except ConditionError as err:
            ctx.add(E.BadConditionError, f"'when': {err}", key_line(node, "when", line), step_id)
    base = {"id": step_id, "line": line, "when": when}
    step = _STEP_BUILDERS[kind](ctx, node, base, line, step_id)
    if step is None:
        ctx.unparsed.add(step_id)
    return step


def _collect(ctx: Ctx, node: Node, base: dict[str, Any], line: int, step_id: str) -> Step | None:
    before = len(ctx.problems)
    slot = node["collect"]
    if not is_name(slot):
        ctx.add(E.BadValueError, "'collect' names the slot: letters, digits, _", line, step_id)
    slot_type = node.get("type")
    if slot_type is None:
        ctx.add(E.MissingFieldError, "'type' is required for collect", line, step_id)
    elif not is_text(slot_type):
        ctx.add(E.BadValueError, f"'type' names a slot type, not {kind_of(slot_type)}",
                key_line(node, "type", line), step_id)
    params = _params(ctx, node, "params", line, step_id)
    if "options" in node:
        params["options"] = node["options"]
    if "options" in params:
        where = node if "options" in node else node.get("params")
        params["options"] = _options(ctx, params["options"], key_line(where, "options", line),
                                     step_id)
    if "options_from" in node:
        params["options_from"] = node["options_from"]
    if "options_from" in params and not is_name(params["options_from"]):
        ctx.add(E.BadValueError, "'options_from' names the slot holding the options, not "
                f"{kind_of(params['options_from'])}", key_line(node, "options_from", line),
                step_id)
    texts = {key: ctx.text(node.get(key), key, key_line(node, key, line), step_id)
             for key in ("prompt", "label", "reprompt") if key in node or key == "prompt"}
    optional = ctx.flag(node, "optional", line, step_id)
    profile = ctx.flag(node, "profile", line, step_id)
    prompt = texts["prompt"]
    if len(ctx.problems) > before or not is_text(slot_type) or prompt is None:
        return None  # each of these was reported above
    return M.CollectStep(**base, slot=slot, type=slot_type, prompt=prompt,
                       label=texts.get("label") or prompt,
                       reprompt=texts.get("reprompt"), optional=optional, profile=profile,
                       params=params)


def _params(ctx: Ctx, node: Node, key: str, line: int,
            step_id: str) -> dict[str, Any]:
    """A step's ``params`` mapping as plain data ({} when absent or wrong)."""
    value = node.get(key)
    if value is None:
        return {}
    bad_keys = [k for k in value if not isinstance(k, str)] if isinstance(value, dict) else []
    if not isinstance(value, dict) or bad_keys:
        found = f"keys {key_names(bad_keys)}" if bad_keys else kind_of(value)
        ctx.add(E.BadValueError, f"'{key}' must map names to values, not {found}",
                key_line(node, key, line), step_id)
        return {}
    return {k: strip_lines(v) if k != "options" else v for k, v in value.items()}


def _options(ctx: Ctx, value: Any, line: int, step_id: str) -> Any:
    """Check ``options`` (a list of {value, zh, en}); returns them as plain data."""
    if not isinstance(value, list) or not value:
        ctx.add(E.BadValueError, "'options' must be a non-empty list of {value, zh, en}, not "
                f"{kind_of(value)}", line, step_id)
        return strip_lines(value)
    seen: set[str] = set()
    for n, option in enumerate(value, 1):
        at = item_line(value, n - 1, line)
        if not isinstance(option, dict):
            ctx.add(E.BadValueError, f"option {n} must be a mapping with value, zh and en, "
                    f"not {kind_of(option)}", at, step_id)
            continue
        raw = option.get("value")
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            ctx.add(E.BadValueError, f"option {n}: 'value' must be text or a whole number, "
                    f"not {kind_of(raw)}", key_line(option, "value", at), step_id)
        elif str(raw) in seen:
            ctx.add(E.DuplicateIdError, f"option {n}: value {raw!r} is used twice",
                    key_line(option, "value", at), step_id)
        else:
            seen.add(str(raw))
        ctx.text(option, f"option {n}", at, step_id)
    return strip_lines(value)


def _say(ctx: Ctx, node: Node, base: dict[str, Any], line: int, step_id: str) -> Step | None:
    text = ctx.text(node["say"], "say", line, step_id)
    return M.SayStep(**base, text=text) if text else None


def _confirm(ctx: Ctx, node: Node, base: dict[str, Any], line: int, step_id: str) -> Step | None:
    value = node["confirm"]
    if not isinstance(value, list) or not value or not all(is_name(v) for v in value):
        ctx.add(E.BadValueError, "'confirm' lists the slots to show", line, step_id)
        return None
    prompt = ctx.text(node["prompt"], "prompt", key_line(node, "prompt", line), step_id) \
        if "prompt" in node else DEFAULT_CONFIRM
    return M.ConfirmStep(**base, slots=tuple(value), prompt=prompt) if prompt else None


def _branch(ctx: Ctx, node: Node, base: dict[str, Any], line: int, step_id: str) -> Step | None:
    value = node["branch"]
    if not isinstance(value, list) or not value:
        ctx.add(E.BadValueError, "'branch' is a list of {if: condition, goto: step} "
                "with an optional last {goto: step}", line, step_id)
        return None
    before = len(ctx.problems)
    cases: list[tuple[Any, str]] = []
    default = None
    for i, case in enumerate(value):
        at = item_line(value, i, line)
        if not isinstance(case, dict) or not is_text(case.get("goto")):
            ctx.add(E.BadValueError, "each branch case needs 'goto: <step id or end>'",
                    at, step_id)
            continue
        if set(case) - {"if", "goto"}:
            ctx.add(E.BadValueError, f"unknown keys in a branch case: "
                    f"{key_names(set(case) - {'if', 'goto'})}", at, step_id)
        if "if" not in case:
            if i != len(value) - 1:
                ctx.add(E.BadValueError, "only the last branch case may omit 'if'", at, step_id)
            default = case["goto"]
            continue
        try:
            cases.append((parse_condition(case["if"]), case["goto"]))
        except ConditionError as err:
            ctx.add(E.BadConditionError, str(err), key_line(case, "if", at), step_id)
    if len(ctx.problems) > before:
        return None
    return M.BranchStep(**base, cases=tuple(cases), default=default)


def _set(ctx: Ctx, node: Node, base: dict[str, Any], line: int, step_id: str) -> Step | None:
    value = node["set"]
    if not isinstance(value, dict) or not value or not all(is_name(k) for k in value):
        ctx.add(E.BadValueError, "'set' maps slot names to values", line, step_id)
        return None
    return M.SetStep(**base, values=strip_lines(value))


def _action(ctx: Ctx, node: Node, base: dict[str, Any], line: int, step_id: str) -> Step | None:
    before = len(ctx.problems)
    if not is_text(node["action"]):
        ctx.add(E.BadValueError, "'action' names a registered action", line, step_id)
    params = _params(ctx, node, "params", line, step_id)
    if len(ctx.problems) > before:
        return None
    return M.ActionStep(**base, action=node["action"], params=params)


def _target(ctx: Ctx, node: Node, base: dict[str, Any], line: int, step_id: str) -> Step | None:
    kind = "call" if "call" in node else "link"
    if not is_text(node[kind]):
        ctx.add(E.BadValueError, f"'{kind}' names a flow id", line, step_id)
        return None
    return (M.CallStep if kind == "call" else M.LinkStep)(**base, flow=node[kind])


_STEP_BUILDERS = {"collect": _collect, "say": _say, "confirm": _confirm, "branch": _branch,
                  "set": _set, "action": _action, "call": _target,
                  "link": _target}


def parse_flow(text: str, file: str) -> ParsedFile:
    """Parse one flow (or the menu) file, collecting every problem; never raises."""
    ctx = Ctx(file)
    try:
        data = load_with_lines(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        ctx.add(E.YamlSyntaxError, f"not valid YAML: {getattr(err, 'problem', None) or err}",
                mark.line + 1 if mark else 1)
        ctx.problems[-1].column = mark.column + 1 if mark else 0
        return ParsedFile(None, ctx.problems)
    try:
        obj = _document(ctx, data, text)
    except RecursionError:
        ctx.add(E.BadValueError, "nested too deeply", 1)
        obj = None
    return ParsedFile(obj, ctx.problems, frozenset(ctx.unparsed))


def _document(ctx: Ctx, data: Any, text: str) -> Flow | Menu | None:
    if not isinstance(data, dict):
        ctx.add(E.BadValueError, "a flow file holds one mapping (id, title, start, steps)", 1)
        return None
    line = line_of(data, 1)
    kind = data.get("kind")
    if kind == "menu":
        return _menu(ctx, data)
    if isinstance(kind, str) and kind in OTHER_KINDS:
        return None  # another tool's file kept beside the flows (e.g. the WeChat menu)
    if kind not in (None, "flow"):
        ctx.add(E.BadValueError, f"unknown kind {kind!r}: flow (the default), menu, or "
                f"{', '.join(sorted(OTHER_KINDS))} for other tools' files",
                key_line(data, "kind", line))
        return None
    flow_id = data.get("id")
    if not is_name(flow_id):
        ctx.add(E.MissingFieldError, "'id' is required: letters, digits and _",
                key_line(data, "id", line))
    else:
        ctx.flow = flow_id
    unknown = set(data) - FLOW_KEYS
    if unknown:
        ctx.add(E.BadValueError, f"unknown top-level keys: {key_names(unknown)}", line)
    title = ctx.text(data.get("title"), "title", key_line(data, "title", line))
    description = ctx.text(data["description"], "description",
                        key_line(data, "description", line)) if "description" in data else None
    triggers = _triggers(ctx, data.get("start"), key_line(data, "start", line))
    menu = ctx.flag(data, "menu", line, default=True)
    audience = _audience(ctx, data.get("audience"), key_line(data, "audience", line))
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        ctx.add(E.MissingFieldError, "'steps' must be a non-empty list",
                key_line(data, "steps", line))
        return None
    at = key_line(data, "steps", line)
    steps = [s for i, node in enumerate(raw_steps)
             if (s := _step(ctx, node, i, item_line(raw_steps, i, at)))]
    if not ctx.flow:
        return None
    return Flow(id=ctx.flow, title=title or Text("", ""), triggers=triggers, steps=tuple(steps),
                file=ctx.file, line=line, menu=menu, description=description,
                audience=audience, version=hashlib.sha256(text.encode()).hexdigest()[:16])


def _audience(ctx: Ctx, value: object, line: int) -> tuple[str, ...]:
    """``audience: [community_worker, …]``: staff roles only; absent means everyone."""
    if value is None:
        return ()
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or any(n not in STAFF_ROLES for n in names):
        ctx.add(E.BadValueError, "'audience' is a list of staff roles: "
                f"{', '.join(STAFF_ROLES)} (leave it out for a flow open to everyone)", line)
        return ()
    return tuple(dict.fromkeys(names))


def _menu(ctx: Ctx, data: Node) -> Menu | None:
    line = line_of(data, 1)
    unknown = set(data) - MENU_KEYS
    if unknown:
        ctx.add(E.BadValueError, f"unknown keys in the menu file: {key_names(unknown)}", line)
    texts = [ctx.text(data.get(key), key, key_line(data, key, line))
             for key in ("greeting", "help", "fallback")]
    items = data.get("items") or []
    if not isinstance(items, list):
        ctx.add(E.BadValueError, f"'items' lists flow ids, not {kind_of(items)}",
                key_line(data, "items", line))
        return None
    for i, item in enumerate(items):
        if not is_text(item):
            ctx.add(E.BadValueError, f"menu item {i + 1} must be a flow id, not {kind_of(item)}",
                    item_line(items, i, line))
    greeting, help_text, fallback = texts
    if ctx.problems or not (greeting and help_text and fallback):
        return None
    return Menu(greeting, help_text, fallback, tuple(items), ctx.file)


def load_flow_file(path: Path) -> ParsedFile:
    """Read and parse one file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return ParsedFile(None, [E.YamlSyntaxError(f"cannot read: {err}", file=str(path),
                                                   line=1)])
    return parse_flow(text, str(path))
