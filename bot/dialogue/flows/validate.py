"""Checks that need more than one file: targets, actions, slot types, reachability."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from bot.conditions import ORDERED, slots_of
from bot.dialogue.flows import errors as E
from bot.dialogue.flows.model import (
    END,
    ActionStep,
    BranchStep,
    CallStep,
    CollectStep,
    ConfirmStep,
    Flow,
    LinkStep,
    Menu,
    SetStep,
    Step,
)

NUMERIC_TYPES = frozenset({"integer", "decimal", "temperature"})
#: Slots the engine itself may fill (channel context); flows may test them.
CONTEXT_SLOTS = frozenset({"scene", "venue", "channel"})


def _err(cls: type[E.FlowError], flow: Flow, step: Step | None, message: str) -> E.FlowError:
    return cls(message, file=flow.file, line=step.line if step else flow.line, flow=flow.id,
               step=step.id if step else "")


def _successors(flow: Flow, i: int) -> list[str]:
    step = flow.steps[i]
    nxt = [flow.steps[i + 1].id] if i + 1 < len(flow.steps) else []
    if isinstance(step, LinkStep):
        return []
    if isinstance(step, BranchStep):
        targets = [t for _, t in step.cases]
        if step.default is not None and step.when is None:
            return targets + [step.default]
        return targets + ([step.default] if step.default else []) + nxt
    return nxt


def _reachable(flow: Flow) -> set[str]:
    index = {s.id: i for i, s in enumerate(flow.steps)}
    seen: set[str] = set()
    todo = [flow.steps[0].id] if flow.steps else []
    while todo:
        sid = todo.pop()
        if sid in seen or sid not in index:
            continue
        seen.add(sid)
        todo.extend(_successors(flow, index[sid]))
    return seen


def _slot_types(flow: Flow, flows: dict[str, Flow], seen: set[str] | None = None
                ) -> dict[str, str]:
    """Slot name → type for every slot a flow collects or sets (incl. called flows)."""
    seen = seen or set()
    seen.add(flow.id)
    types: dict[str, str] = {}
    for step in flow.steps:
        if isinstance(step, CollectStep):
            types[step.slot] = step.type
        elif isinstance(step, SetStep):
            for name, value in step.values.items():
                types.setdefault(name, "number" if isinstance(value, (int, float))
                                 and not isinstance(value, bool) else "value")
        elif isinstance(step, CallStep) and step.flow in flows and step.flow not in seen:
            for name, kind in _slot_types(flows[step.flow], flows, seen).items():
                types.setdefault(name, kind)
    return types


def validate_flow(flow: Flow, flows: dict[str, Flow], *, action_names: Iterable[str],
                  action_sets: Callable[[str], Iterable[str]],
                  slot_param_problems: Callable[[str, dict], list[str] | None],
                  unparsed: Collection[str] | None = None) -> list[E.FlowError]:
    """Every semantic problem of ``flow`` given the other flows, actions and slot types.

    ``slot_param_problems(type, params)`` returns None for an unknown type, else a list.
    ``unparsed`` (ids of steps the loader could not build) marks a partial flow: checks
    that need every step (reachability, which step sets a slot) are left for when the
    file's other problems are fixed, and a goto to an unparsed step is not reported.
    """
    complete = unparsed is None
    unparsed = unparsed or ()
    problems: list[E.FlowError] = []
    actions = set(action_names)
    ids: set[str] = set()
    for step in flow.steps:
        if step.id in ids:
            problems.append(_err(E.DuplicateIdError, flow, step,
                                 f"step id '{step.id}' is used twice in this flow"))
        ids.add(step.id)
    types = _slot_types(flow, flows)
    for step in flow.steps:
        if isinstance(step, ActionStep):
            if step.action not in actions:
                problems.append(_err(E.UnknownActionError, flow, step,
                                     f"no action named '{step.action}'; known: "
                                     f"{', '.join(sorted(actions)) or 'none'}"))
            else:
                for name in action_sets(step.action):
                    types.setdefault(name, "value")
    for step in flow.steps:
        if isinstance(step, BranchStep):
            for target in [t for _, t in step.cases] + ([step.default] if step.default else []):
                if target != END and target not in ids and target not in unparsed:
                    problems.append(_err(E.UnknownTargetError, flow, step,
                                         f"goto '{target}': no step with that id (or 'end')"))
        if isinstance(step, (CallStep, LinkStep)) and step.flow not in flows:
            problems.append(_err(E.UnknownTargetError, flow, step,
                                 f"no flow with id '{step.flow}'"))
        if isinstance(step, CollectStep):
            problems += _param_problems(flow, step, slot_param_problems)
            source = step.params.get("options_from")
            if complete and isinstance(source, str) and source not in types:
                problems.append(_err(E.UnknownSlotError, flow, step,
                                     f"options_from '{source}': no step or action sets it"))
        if isinstance(step, ConfirmStep) and complete:
            for name in step.slots:
                if flow.collect_step(name) is None:
                    problems.append(_err(E.UnknownSlotError, flow, step,
                                         f"confirm lists '{name}', which this flow never asks"))
        conditions = [step.when] if step.when else []
        if isinstance(step, BranchStep):
            conditions += [c for c, _ in step.cases]
        for cond in conditions:
            for cmp in slots_of(cond):
                kind = types.get(cmp.slot)
                if kind is None and cmp.slot not in CONTEXT_SLOTS:
                    if complete:
                        problems.append(_err(E.BadConditionError, flow, step,
                                             f"condition on '{cmp.slot}', which no step sets"))
                elif cmp.op in ORDERED and kind not in NUMERIC_TYPES | {"number", "value"}:
                    problems.append(_err(E.BadConditionError, flow, step,
                                         f"'{cmp.op}' compares numbers but '{cmp.slot}' "
                                         f"is a {kind} slot"))
    problems += _call_cycles(flow, flows)
    reachable = _reachable(flow) if complete else ids
    for step in flow.steps:
        if step.id not in reachable and step.id in ids:
            problems.append(_err(E.UnreachableStepError, flow, step,
                                 "no path leads here (it follows a goto/link and nothing "
                                 "jumps to it)"))
    return problems


def _call_cycles(flow: Flow, flows: dict[str, Flow]) -> list[E.FlowError]:
    """A ``call`` step from which the calls lead back to ``flow``: it would call itself
    for ever (each call waits for the called flow to end)."""
    problems = []
    for step in flow.steps:
        if not isinstance(step, CallStep):
            continue
        path = _path_back(step.flow, flow.id, flows, [flow.id], set())
        if path is not None:
            problems.append(_err(E.CallCycleError, flow, step, "calls itself for ever ("
                                 f"{' → '.join(path)}): a flow cannot call itself, even "
                                 "through other flows"))
    return problems


def _path_back(at: str, home: str, flows: dict[str, Flow], path: list[str],
               seen: set[str]) -> list[str] | None:
    """The chain of calls from ``at`` back to ``home``, if there is one."""
    path = [*path, at]
    if at == home:
        return path
    if at in seen or at not in flows:
        return None
    seen.add(at)
    for step in flows[at].steps:
        if isinstance(step, CallStep):
            found = _path_back(step.flow, home, flows, path, seen)
            if found is not None:
                return found
    return None


def _param_problems(flow: Flow, step: CollectStep,
                    check: Callable[[str, dict], list[str] | None]) -> list[E.FlowError]:
    """The slot type's verdict on a collect step's params; its own failure is reported."""
    try:
        found = check(step.type, dict(step.params))
    except Exception as err:  # a slot type's own check must not stop the load
        return [_err(E.BadSlotParamsError, flow, step, f"params could not be checked "
                     f"({type(err).__name__}: {err})")]
    if found is None:
        return [_err(E.UnknownSlotTypeError, flow, step, f"unknown slot type '{step.type}'")]
    return [_err(E.BadSlotParamsError, flow, step, str(p)) for p in found]


def validate_menu(menu: Menu, flows: dict[str, Flow]) -> list[E.FlowError]:
    """Menu items must name existing flows."""
    return [E.UnknownTargetError(f"menu item '{item}': no flow with that id", file=menu.file,
                                 line=1)
            for item in menu.items if item not in flows]
