"""Answers to what the conversation waits for: a slot, the summary, a field to change,
a saved value to reuse, or an offer (resume, idle, profile consent).

Each function takes the turn, changes its state, adds replies and returns the
:mod:`~bot.dialogue.outcomes` outcome the engine acts on next.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.dialogue import profile_reuse, routing
from bot.dialogue.flows.model import CollectStep, ConfirmStep, Flow
from bot.dialogue.flows.registry import normalize_command
from bot.dialogue.outcomes import (
    ADVANCE,
    CARRY_ON,
    DONE,
    OFFER_RESUME,
    REASK,
    Greet,
    Outcome,
    RunCommand,
    StartFlow,
)
from bot.dialogue.prompts import editable_slots, question, step_params
from bot.dialogue.slots import Answer, ParseContext, SlotParseError, get_slot_type
from bot.dialogue.state import Frame
from bot.dialogue.texts import t
from bot.dialogue.turn import Turn
from bot.messages import Location, Reply

MAX_FAILS = 3
FREE_TEXT_TYPES = frozenset({"text"})

Handler = Callable[[Turn, Flow, Frame, str, "Location | None"], Awaitable[Outcome]]


def yes_no(turn: Turn, text: str) -> bool | None:
    """``text`` read as yes or no in the turn's language, or None."""
    try:
        return bool(get_slot_type("yes_no").parse(
            Answer(text=text), ParseContext(turn.lang, turn.parts.clock.now())))
    except SlotParseError:
        return None


def _parse(turn: Turn, frame: Frame, step: CollectStep, text: str,
           location: Location | None) -> Any:
    answer = Answer(text=text, location=location.to_json() if location else None)
    ctx = ParseContext(turn.lang, turn.parts.clock.now(), step_params(step, frame.slots))
    return get_slot_type(step.type).parse(answer, ctx)


async def _interrupt(turn: Turn, text: str, *, nlu: bool = True) -> Outcome | None:
    """Start another flow the text clearly asks for, if any: by keyword, and (``nlu``) by
    an intent well above the NLU threshold."""
    other = await routing.other_flow(turn, text, strict=True, nlu=nlu) if text else None
    return StartFlow(other) if other is not None else None


async def answer(turn: Turn, text: str, *, location: Location | None = None) -> Outcome:
    """The message answers what the top frame waits for (its ``mode``)."""
    frame = turn.state.top
    if frame is None:
        return DONE
    flow = turn.parts.flow(frame.flow)
    if flow is None or frame.step >= len(flow.steps):
        turn.state.stack.pop()
        turn.say("flow_gone")
        return DONE
    return await _HANDLERS[frame.mode](turn, flow, frame, text, location)


async def _reuse(turn: Turn, flow: Flow, frame: Frame, text: str,
                 location: Location | None) -> Outcome:
    step = flow.steps[frame.step]
    assert isinstance(step, CollectStep)  # mode "reuse" is only set at a collect step
    choice = yes_no(turn, text) if text else None
    if choice is True:
        frame.slots[step.slot] = await profile_reuse.saved_value(turn, step)
        frame.history.append(frame.step)
        frame.step, frame.mode = frame.step + 1, ""
        return ADVANCE
    frame.mode = "ask"
    if choice is False:
        turn.replies.append(question(flow, step, frame.slots, turn.lang))
        return DONE
    return await _ask(turn, flow, frame, text, location)


async def _ask(turn: Turn, flow: Flow, frame: Frame, text: str,
               location: Location | None) -> Outcome:
    step = flow.steps[frame.step]
    if not isinstance(step, CollectStep):
        frame.mode = ""
        return ADVANCE
    # An answer is not an intent: a free-text question accepts almost any reply ("B0-36"
    # is a building, whatever the NLU makes of it), so only a keyword leaves it.
    if text and step.type in FREE_TEXT_TYPES and (
            started := await _interrupt(turn, text, nlu=False)):
        return started
    try:
        value = _parse(turn, frame, step, text, location)
    except SlotParseError as err:
        if started := await _interrupt(turn, text):
            return started
        _failed(turn, flow, frame, step, err)
        return DONE
    frame.slots[step.slot] = value
    frame.history.append(frame.step)
    frame.step, frame.mode, frame.fails = frame.step + 1, "", 0
    return ADVANCE


def _failed(turn: Turn, flow: Flow, frame: Frame, step: CollectStep,
            err: SlotParseError) -> None:
    frame.fails += 1
    turn.replies.append(Reply.say(err.text(turn.lang)))
    if frame.fails >= MAX_FAILS:
        frame.fails = 0
        turn.say("failed_thrice")
        return
    turn.replies.append(question(flow, step, frame.slots, turn.lang, reprompt=True))


_YES = frozenset({normalize_command(t("confirm_yes", "zh")),
                  normalize_command(t("confirm_yes", "en")), "提交", "submit", "ok"})
_CHANGE = frozenset({normalize_command(t("confirm_change", "zh")),
                     normalize_command(t("confirm_change", "en"))})


async def _confirm(turn: Turn, flow: Flow, frame: Frame, text: str,
                   location: Location | None) -> Outcome:
    step = flow.steps[frame.step]
    norm = normalize_command(text)
    names = list(step.slots) if isinstance(step, ConfirmStep) else []
    if norm.isdigit() and 1 <= int(norm) <= len(names):
        return _start_edit(turn, flow, frame, names[int(norm) - 1])
    choice = True if norm in _YES else False if norm in _CHANGE else (
        yes_no(turn, text) if text else None)
    if choice is True:
        frame.step, frame.mode = frame.step + 1, ""
        return ADVANCE
    if choice is False:
        frame.mode = "pick"
        return REASK
    return await _interrupt(turn, text) or REASK


async def _pick(turn: Turn, flow: Flow, frame: Frame, text: str,
                location: Location | None) -> Outcome:
    names = editable_slots(flow, frame.step, frame.history)
    norm = normalize_command(text)
    chosen = names[int(norm) - 1] if norm.isdigit() and 1 <= int(norm) <= len(names) \
        else next((n for n in names if (s := flow.collect_step(n)) and norm in (
            normalize_command(s.label.zh), normalize_command(s.label.en))), None)
    if chosen is None:
        turn.say("pick_field_bad", n=len(names))
        return DONE
    return _start_edit(turn, flow, frame, chosen)


def _start_edit(turn: Turn, flow: Flow, frame: Frame, slot: str) -> Outcome:
    step = flow.collect_step(slot)
    if step is None:  # no question asks this slot (any more): nothing to edit
        return _end_edit(flow, frame)
    frame.mode, frame.editing = "edit", slot
    turn.replies.append(question(flow, step, frame.slots, turn.lang))
    return DONE


def _end_edit(flow: Flow, frame: Frame) -> Outcome:
    """Leave edit mode: back to the summary at a confirm step, else on with the flow."""
    frame.editing = ""
    frame.mode = "confirm" if isinstance(flow.steps[frame.step], ConfirmStep) else ""
    return REASK if frame.mode else ADVANCE


async def _edit(turn: Turn, flow: Flow, frame: Frame, text: str,
                location: Location | None) -> Outcome:
    step = flow.collect_step(frame.editing)
    if step is None:  # a flow update dropped the slot being edited (as in presentation)
        return _end_edit(flow, frame)
    try:
        value = _parse(turn, frame, step, text, location)
    except SlotParseError as err:
        turn.replies.append(Reply.say(err.text(turn.lang)))
        turn.replies.append(question(flow, step, frame.slots, turn.lang, reprompt=True))
        return DONE
    frame.slots[step.slot] = value
    return _end_edit(flow, frame)


_HANDLERS: dict[str, Handler] = {"reuse": _reuse, "ask": _ask, "confirm": _confirm,
                                 "pick": _pick, "edit": _edit}

_RESTART = frozenset({normalize_command(t("idle_restart", "zh")),
                      normalize_command(t("idle_restart", "en")), "2"})
_CONTINUE = frozenset({normalize_command(t("idle_continue", "zh")),
                       normalize_command(t("idle_continue", "en")), "1"})


async def pending(turn: Turn, text: str) -> Outcome | None:
    """Settle an offer (idle, menu, resume, consent); None when the message was not its
    answer (the offer is dropped and the message handled as usual)."""
    state = turn.state
    kind = state.pending.get("kind")
    norm = normalize_command(text)
    if kind == "idle":
        state.pending = {}
        if norm in _RESTART:
            return RunCommand("restart")
        if norm in _CONTINUE or yes_no(turn, text) is True:
            return CARRY_ON
        return None
    if kind == "menu":
        state.pending = {}
        picked = await routing.menu_pick(turn, text)
        return StartFlow(picked) if picked is not None else None
    choice = yes_no(turn, text)
    if kind == "resume":
        state.pending = {}
        if choice is None:
            return None
        frames = state.paused.pop()
        if not choice:
            turn.say("dropped")
            return DONE
        if await routing.refused(turn, frames[0].flow):  # its role was taken away meanwhile
            return Greet(with_greeting=False)
        state.stack = frames
        turn.say("resumed", flow=turn.parts.title(frames[0].flow, turn.lang))
        return CARRY_ON
    if kind == "consent":
        values = state.pending.get("values") or {}
        state.pending = {}
        profiles = turn.parts.profiles
        if profiles is not None:
            await turn.exclusive()
            await profiles.save(turn.inbound.user_key, consent=bool(choice),
                                values=values if choice else {})
        if choice is None:
            return None
        turn.say("consent_saved" if choice else "consent_declined")
        return OFFER_RESUME if state.paused and not state.stack else DONE
    state.pending = {}
    return None
