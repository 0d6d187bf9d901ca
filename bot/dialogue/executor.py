"""Runs flow steps until the conversation must wait for the user.

:func:`advance` moves the top frame of the state forward step by step and collects
replies. It pauses at a question or a summary, finishes flows (returning to a caller,
offering to resume a paused flow, asking for profile consent) and stops a runaway flow
after ``MAX_STEPS_PER_TURN`` steps.
"""

from __future__ import annotations

import logging

from bot.actions import ActionContext
from bot.conditions import evaluate
from bot.dialogue import profile_reuse
from bot.dialogue.flows.model import (
    END,
    ActionStep,
    BranchStep,
    CallStep,
    CollectStep,
    ConfirmStep,
    Flow,
    LinkStep,
    SayStep,
    SetStep,
)
from bot.dialogue.outcomes import DONE, ActionFailed, FlowLoopError, Outcome
from bot.dialogue.presentation import offer_resume
from bot.dialogue.prompts import fill, question, summary, yes_no
from bot.dialogue.slots import get_slot_type
from bot.dialogue.state import Frame
from bot.dialogue.texts import t
from bot.dialogue.turn import Turn
from bot.errors import ActionError
from bot.messages import Reply
from codes import mask_name

log = logging.getLogger("tongguan.dialogue")

MAX_STEPS_PER_TURN = 200


async def advance(turn: Turn) -> Outcome:
    """Advance until the top frame waits for the user, or nothing is running."""
    state = turn.state
    for _ in range(MAX_STEPS_PER_TURN):
        frame = state.top
        if frame is None or frame.mode:
            return DONE
        flow = turn.parts.flow(frame.flow)
        if flow is None:
            state.stack.pop()
            turn.say("flow_gone")
            continue
        if frame.step >= len(flow.steps):
            if not await _finish(turn):
                return DONE
            continue
        await _step(turn, flow, frame)
    raise FlowLoopError(f"flow {state.top.flow if state.top else '?'} looped")


async def _step(turn: Turn, flow: Flow, frame: Frame) -> None:
    step = flow.steps[frame.step]
    lang = turn.lang
    if step.when is not None and not evaluate(step.when, frame.slots):
        frame.step += 1
        return
    if isinstance(step, CollectStep):
        if step.slot in frame.slots:
            frame.step += 1
            return
        saved = await profile_reuse.saved_value(turn, step)
        if saved is not None:
            frame.mode = "reuse"
            shown = (mask_name(str(saved)) if step.type == "text"
                     else get_slot_type(step.type).mask(saved, lang, step.params))
            label = step.label.get(lang).rstrip("？?：: ")
            turn.replies.append(yes_no(t("reuse_offer", lang, label=label, value=shown), lang))
            return
        frame.mode = "ask"
        turn.replies.append(question(flow, step, frame.slots, lang))
    elif isinstance(step, SayStep):
        turn.replies.append(Reply.say(fill(step.text.get(lang), flow, frame.slots, lang)))
        frame.step += 1
    elif isinstance(step, ConfirmStep):
        frame.mode = "confirm"
        turn.replies.append(summary(flow, step, frame.slots, lang))
    elif isinstance(step, BranchStep):
        target = next((goto for cond, goto in step.cases if evaluate(cond, frame.slots)),
                      step.default)
        frame.step = frame.step + 1 if target is None else (
            len(flow.steps) if target == END else flow.index_of(target))
    elif isinstance(step, SetStep):
        frame.slots.update(step.values)
        frame.step += 1
    elif isinstance(step, ActionStep):
        await _action(turn, flow, frame, step)
    elif isinstance(step, CallStep):
        frame.step += 1
        turn.state.stack.append(Frame(step.flow, slots=dict(frame.slots), called=True))
    elif isinstance(step, LinkStep):
        turn.state.stack.pop()
        turn.state.stack.append(Frame(step.flow))


async def _action(turn: Turn, flow: Flow, frame: Frame, step: ActionStep) -> None:
    spec = turn.parts.actions.get(step.action)
    inbound = turn.inbound
    ctx = ActionContext(user_key=inbound.user_key, channel=inbound.channel,
                        user_id=inbound.user_id, lang=turn.lang, flow_id=flow.id,
                        slots=dict(frame.slots), params=step.params,
                        now=turn.parts.clock.now(),
                        receipt=f"{inbound.receipt}:{flow.id}:{step.id}"
                        if inbound.receipt else "")
    if spec.needs_lock:
        await turn.exclusive()
    try:
        result = await spec.fn(ctx)
    except ActionError as err:
        log.info("flow.action.refused flow=%s action=%s code=%s", flow.id, step.action,
                 err.code)
        raise ActionFailed([Reply.say(err.zh if turn.lang == "zh" else err.en)],
                           final=err.final) from err
    except Exception as err:
        log.exception("flow.action.crashed flow=%s action=%s", flow.id, step.action)
        raise ActionFailed([Reply.say(t("action_failed", turn.lang))]) from err
    frame.slots.update(result.slots)
    turn.replies.extend(result.replies)
    turn.inserts.extend(result.inserts)
    frame.step += 1


async def _finish(turn: Turn) -> bool:
    """End the top flow. Returns True when the executor should keep running."""
    state = turn.state
    frame = state.stack.pop()
    if frame.called and state.stack:
        state.stack[-1].slots.update(frame.slots)
        return True
    flow = turn.parts.flow(frame.flow)
    if flow is not None and await profile_reuse.keep_answers(turn, flow, frame):
        return False
    if state.paused and not state.stack:
        offer_resume(turn)
        return False
    return True
