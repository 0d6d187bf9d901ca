"""Bringing conversations onto a flow that was edited while they were in it.

Each saved frame remembers the version of its flow and the id of the step it stands
at (:func:`stamp`). When a turn loads a frame whose flow has changed since
(:func:`refresh`), the frame moves to the same step id in the new version if that step
still asks the same kind of thing and every question the new version asks before it
has an answer; otherwise it goes back to the start with its answers kept, and the
executor walks forward to the first question still unanswered (or the summary). Either
way no answer is taken for a question the user was never shown, and nothing is
submitted that the user did not confirm on the new version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from bot.conditions import ConditionError, evaluate
from bot.dialogue.flows.model import (
    END,
    BranchStep,
    CollectStep,
    ConfirmStep,
    Flow,
    SetStep,
)
from bot.dialogue.state import Frame, State

AT_END = "<end>"  #: ``Frame.at`` of a frame past its last step


def _frames(state: State) -> Iterator[Frame]:
    yield from state.stack
    for paused in state.paused:
        yield from paused


def stamp(state: State, flows: Callable[[str], Flow | None]) -> None:
    """Record, in every frame, its flow's version and the id of its current step."""
    for frame in _frames(state):
        flow = flows(frame.flow)
        if flow is None:
            continue
        frame.version = flow.version
        frame.at = flow.steps[frame.step].id if frame.step < len(flow.steps) else AT_END


def refresh(state: State, flows: Callable[[str], Flow | None],
            earlier: Callable[[str, str], Flow | None] = lambda _id, _version: None,
            ) -> list[Frame]:
    """Move frames saved on an older version of their flow onto the live one.

    Returns the frames the user must be shown again before anything they send counts:
    those sent back to their flow's start (answers kept) and those waiting at a summary,
    which may now list other fields. Answers to questions the old version asked and the
    new one no longer does are dropped when ``earlier`` still knows the old version.
    Frames saved before versions were recorded (no ``version``) are left alone.
    """
    shown = []
    for frame in _frames(state):
        flow = flows(frame.flow)
        if flow is None or not frame.version or frame.version == flow.version:
            continue
        old = earlier(frame.flow, frame.version)
        if old is not None and not frame.called:  # a called frame holds its caller's too
            for slot in _asked(old) - _asked(flow) - _set(flow):
                frame.slots.pop(slot, None)
        if not _carry_over(frame, flow):
            frame.step, frame.mode, frame.editing, frame.fails = 0, "", "", 0
            frame.history = []
            shown.append(frame)
        elif frame.mode in ("confirm", "pick"):
            frame.mode = "confirm"
            shown.append(frame)
        frame.version = flow.version
    return shown


def _asked(flow: Flow) -> set[str]:
    return {s.slot for s in flow.steps if isinstance(s, CollectStep)}


def _set(flow: Flow) -> set[str]:
    return {name for s in flow.steps if isinstance(s, SetStep) for name in s.values}


def _carry_over(frame: Frame, flow: Flow) -> bool:
    """Put ``frame`` at its step's place in the new ``flow``; False when it can't stay."""
    index = len(flow.steps) if frame.at == AT_END else next(
        (i for i, s in enumerate(flow.steps) if s.id == frame.at), None)
    if index is None:
        return False
    step = flow.steps[index] if index < len(flow.steps) else None
    if frame.mode in ("ask", "reuse") and not isinstance(step, CollectStep):
        return False
    if frame.mode in ("confirm", "pick") and not isinstance(step, ConfirmStep):
        return False
    if frame.mode == "edit" and flow.collect_step(frame.editing) is None:
        return False
    if not _reached(flow, index, frame.slots):
        return False
    frame.step = index
    frame.history = [i for i, s in enumerate(flow.steps[:index])
                     if isinstance(s, CollectStep) and s.slot in frame.slots]
    return True


def _reached(flow: Flow, target: int, slots: dict[str, Any]) -> bool:
    """Whether walking ``flow`` from the start with these answers arrives at ``target``
    without meeting a required question that has no answer."""
    values = dict(slots)
    i = 0
    for _ in range(4 * len(flow.steps) + 4):  # a branch loop in an edited flow ends here
        if i == target:
            return True
        if i >= len(flow.steps):
            return False
        step = flow.steps[i]
        try:
            if step.when is not None and not evaluate(step.when, values):
                i += 1
                continue
            if isinstance(step, CollectStep) and step.slot not in values and not step.optional:
                return False
            if isinstance(step, SetStep):
                values.update(step.values)
            if isinstance(step, BranchStep):
                goto = next((g for cond, g in step.cases if evaluate(cond, values)),
                            step.default)
                i = i + 1 if goto is None else (
                    len(flow.steps) if goto == END else flow.index_of(goto))
                continue
        except (ConditionError, KeyError):
            return False
        i += 1
    return False
