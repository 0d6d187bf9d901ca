"""Runs flow steps until the conversation must wait for the user.

The executor moves the top frame of the state forward step by step and collects
replies. It pauses at a question or a summary, finishes flows (returning to a caller,
offering to resume a paused flow, asking for profile consent) and stops a runaway flow
after ``MAX_STEPS_PER_TURN`` steps.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.actions import ActionContext, RowInsert
from bot.conditions import evaluate
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
from bot.dialogue.prompts import fill, question, summary, yes_no
from bot.dialogue.slots import get_slot_type
from bot.dialogue.state import Frame, State
from bot.dialogue.texts import t
from bot.errors import ActionError, TongguanError
from bot.messages import Inbound, Reply
from codes import mask_name

if TYPE_CHECKING:
    from bot.dialogue.engine import Engine
    from bot.nlu.base import ParseResult
    from bot.services.profiles import ProfileData

log = logging.getLogger("tongguan.dialogue")

MAX_STEPS_PER_TURN = 200


class FlowLoopError(TongguanError):
    """A flow ran more steps in one turn than any real flow needs."""


class ActionFailed(TongguanError):
    """An action refused or crashed; the turn rolls the flow back to where it was."""

    def __init__(self, replies: list[Reply]) -> None:
        super().__init__("action failed")
        self.replies = replies


@dataclass
class Turn:
    """One message being handled: the state, who sent it, and the replies so far."""

    state: State
    inbound: Inbound
    replies: list[Reply] = field(default_factory=list)
    parse: ParseResult | None = None  #: the NLU parse, once something needed it
    profile: ProfileData | None = None  #: the user's saved profile, once read
    #: rows the turn's actions asked to insert with its save
    inserts: list[RowInsert] = field(default_factory=list)
    #: locks the conversation for the rest of the turn (see :mod:`bot.dialogue.store`)
    guard: Callable[[], Awaitable[None]] | None = None

    async def exclusive(self) -> None:
        """Call before the turn writes anything besides the conversation itself."""
        if self.guard is not None:
            await self.guard()

    @property
    def lang(self) -> str:
        return self.state.lang or "zh"

    def say(self, key: str, **values: object) -> None:
        self.replies.append(Reply.say(t(key, self.lang, **values)))


class Executor:
    """Step runner bound to an engine's flows, actions and profiles."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def flow(self, frame: Frame) -> Flow | None:
        return self.engine.flows.get(frame.flow)

    async def run(self, turn: Turn) -> None:
        """Advance until the top frame waits for the user, or nothing is running."""
        state = turn.state
        for _ in range(MAX_STEPS_PER_TURN):
            frame = state.top
            if frame is None or frame.mode:
                return
            flow = self.flow(frame)
            if flow is None:
                state.stack.pop()
                turn.say("flow_gone")
                continue
            if frame.step >= len(flow.steps):
                if not await self.finish(turn):
                    return
                continue
            await self.step(turn, flow, frame)
        raise FlowLoopError(f"flow {state.top.flow if state.top else '?'} looped")

    async def step(self, turn: Turn, flow: Flow, frame: Frame) -> None:
        step = flow.steps[frame.step]
        lang = turn.lang
        if step.when is not None and not evaluate(step.when, frame.slots):
            frame.step += 1
            return
        if isinstance(step, CollectStep):
            if step.slot in frame.slots:
                frame.step += 1
                return
            saved = await self.engine.profile_reuse.value(turn, step)
            if saved is not None:
                frame.mode = "reuse"
                shown = (mask_name(str(saved)) if step.type == "text"
                         else get_slot_type(step.type).mask(saved, lang, step.params))
                label = step.label.get(lang).rstrip("？?：: ")
                turn.replies.append(yes_no(t("reuse_offer", lang, label=label, value=shown),
                                           lang))
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
            await self.action(turn, flow, frame, step)
        elif isinstance(step, CallStep):
            frame.step += 1
            turn.state.stack.append(Frame(step.flow, slots=dict(frame.slots), called=True))
        elif isinstance(step, LinkStep):
            turn.state.stack.pop()
            turn.state.stack.append(Frame(step.flow))

    async def action(self, turn: Turn, flow: Flow, frame: Frame, step: ActionStep) -> None:
        spec = self.engine.actions.get(step.action)
        inbound = turn.inbound
        ctx = ActionContext(user_key=inbound.user_key, channel=inbound.channel,
                            user_id=inbound.user_id, lang=turn.lang, flow_id=flow.id,
                            slots=dict(frame.slots), params=step.params,
                            now=self.engine.clock.now())
        if spec.needs_lock:
            await turn.exclusive()
        try:
            result = await spec.fn(ctx)
        except ActionError as err:
            log.info("flow.action.refused flow=%s action=%s code=%s", flow.id, step.action,
                     err.code)
            raise ActionFailed([Reply.say(err.zh if turn.lang == "zh" else err.en)]) from err
        except Exception as err:
            log.exception("flow.action.crashed flow=%s action=%s", flow.id, step.action)
            raise ActionFailed([Reply.say(t("action_failed", turn.lang))]) from err
        frame.slots.update(result.slots)
        turn.replies.extend(result.replies)
        turn.inserts.extend(result.inserts)
        frame.step += 1

    async def finish(self, turn: Turn) -> bool:
        """End the top flow. Returns True when the executor should keep running."""
        state = turn.state
        frame = state.stack.pop()
        if frame.called and state.stack:
            state.top.slots.update(frame.slots)
            return True
        flow = self.engine.flows.get(frame.flow)
        if flow is not None and await self.engine.profile_reuse.after_flow(turn, flow, frame):
            return False
        if state.paused and not state.stack:
            await self.finish_resume_offer(turn)
            return False
        return True

    async def finish_resume_offer(self, turn: Turn) -> None:
        """Offer to go back to the most recently paused flow."""
        state = turn.state
        title = self.engine.title(state.paused[-1][0].flow, turn.lang)
        state.pending = {"kind": "resume"}
        turn.replies.append(yes_no(t("resume_offer", turn.lang, flow=title), turn.lang))
