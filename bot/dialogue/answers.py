"""Answers to what the conversation waits for: a slot, the summary, a field to change,
a saved value to reuse, or an offer (resume, idle, profile consent)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.dialogue.executor import Turn
from bot.dialogue.flows.model import CollectStep, ConfirmStep, Flow
from bot.dialogue.flows.registry import normalize_command
from bot.dialogue.prompts import editable_slots, question, step_params, summary, yes_no
from bot.dialogue.slots import Answer, ParseContext, SlotParseError, get_slot_type
from bot.dialogue.state import Frame
from bot.dialogue.texts import t
from bot.messages import Location, Reply

if TYPE_CHECKING:
    from bot.dialogue.engine import Engine

MAX_FAILS = 3
FREE_TEXT_TYPES = frozenset({"text"})


class AnswerHandler:
    """Fills the awaited slot or settles the awaited choice."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def yes_no(self, text: str, lang: str) -> bool | None:
        try:
            return bool(get_slot_type("yes_no").parse(
                Answer(text=text), ParseContext(lang, self.engine.clock.now())))
        except SlotParseError:
            return None

    def _parse(self, turn: Turn, flow: Flow, frame: Frame, step: CollectStep, text: str,
               location: Location | None) -> Any:
        answer = Answer(text=text, location=location.to_json() if location else None)
        ctx = ParseContext(turn.lang, self.engine.clock.now(), step_params(step, frame.slots))
        return get_slot_type(step.type).parse(answer, ctx)

    async def answer(self, turn: Turn, text: str, *, location: Location | None = None) -> None:
        frame = turn.state.top
        flow = self.engine.flows.get(frame.flow)
        if flow is None or frame.step >= len(flow.steps):
            turn.state.stack.pop()
            turn.say("flow_gone")
            return
        handler = getattr(self, f"_{frame.mode}")
        await handler(turn, flow, frame, text, location)

    async def _reuse(self, turn: Turn, flow: Flow, frame: Frame, text: str,
                     location: Location | None) -> None:
        step = flow.steps[frame.step]
        choice = self.yes_no(text, turn.lang) if text else None
        if choice is True:
            frame.slots[step.slot] = await self.engine.profile_reuse.value(turn, step)
            frame.history.append(frame.step)
            frame.step, frame.mode = frame.step + 1, ""
            await self.engine.executor.run(turn)
            return
        frame.mode = "ask"
        if choice is False:
            turn.replies.append(question(flow, step, frame.slots, turn.lang))
            return
        await self._ask(turn, flow, frame, text, location)

    async def _ask(self, turn: Turn, flow: Flow, frame: Frame, text: str,
                   location: Location | None) -> None:
        step = flow.steps[frame.step]
        if not isinstance(step, CollectStep):
            frame.mode = ""
            await self.engine.executor.run(turn)
            return
        if text and step.type in FREE_TEXT_TYPES:
            other = await self.engine.other_flow(turn, text, strict=True)
            if other is not None:
                await self.engine.start(turn, other)
                return
        try:
            value = self._parse(turn, flow, frame, step, text, location)
        except SlotParseError as err:
            other = await self.engine.other_flow(turn, text, strict=True) if text else None
            if other is not None:
                await self.engine.start(turn, other)
                return
            self._failed(turn, flow, frame, step, err)
            return
        frame.slots[step.slot] = value
        frame.history.append(frame.step)
        frame.step, frame.mode, frame.fails = frame.step + 1, "", 0
        await self.engine.executor.run(turn)

    def _failed(self, turn: Turn, flow: Flow, frame: Frame, step: CollectStep,
                err: SlotParseError) -> None:
        frame.fails += 1
        turn.replies.append(Reply.say(err.text(turn.lang)))
        if frame.fails >= MAX_FAILS:
            frame.fails = 0
            turn.say("failed_thrice")
            return
        turn.replies.append(question(flow, step, frame.slots, turn.lang, reprompt=True))

    async def _confirm(self, turn: Turn, flow: Flow, frame: Frame, text: str,
                       location: Location | None) -> None:
        step = flow.steps[frame.step]
        norm = normalize_command(text)
        names = list(step.slots) if isinstance(step, ConfirmStep) else []
        if norm.isdigit() and 1 <= int(norm) <= len(names):
            await self._start_edit(turn, flow, frame, names[int(norm) - 1])
            return
        if norm in (normalize_command(t("confirm_yes", "zh")), normalize_command(
                t("confirm_yes", "en")), "提交", "submit", "ok"):
            choice: bool | None = True
        elif norm in (normalize_command(t("confirm_change", "zh")),
                      normalize_command(t("confirm_change", "en"))):
            choice = False
        else:
            choice = self.yes_no(text, turn.lang) if text else None
        if choice is True:
            frame.step, frame.mode = frame.step + 1, ""
            await self.engine.executor.run(turn)
        elif choice is False:
            frame.mode = "pick"
            self.reask(turn)
        else:
            other = await self.engine.other_flow(turn, text, strict=True) if text else None
            if other is not None:
                await self.engine.start(turn, other)
                return
            self.reask(turn)

    async def _pick(self, turn: Turn, flow: Flow, frame: Frame, text: str,
                    location: Location | None) -> None:
        names = editable_slots(flow, frame.step, frame.history)
        norm = normalize_command(text)
        chosen = names[int(norm) - 1] if norm.isdigit() and 1 <= int(norm) <= len(names) \
            else next((n for n in names if (s := flow.collect_step(n)) and norm in (
                normalize_command(s.label.zh), normalize_command(s.label.en))), None)
        if chosen is None:
            turn.say("pick_field_bad", n=len(names))
            return
        await self._start_edit(turn, flow, frame, chosen)

    async def _start_edit(self, turn: Turn, flow: Flow, frame: Frame, slot: str) -> None:
        frame.mode, frame.editing = "edit", slot
        turn.replies.append(question(flow, flow.collect_step(slot), frame.slots, turn.lang))

    async def _edit(self, turn: Turn, flow: Flow, frame: Frame, text: str,
                    location: Location | None) -> None:
        step = flow.collect_step(frame.editing)
        try:
            value = self._parse(turn, flow, frame, step, text, location)
        except SlotParseError as err:
            turn.replies.append(Reply.say(err.text(turn.lang)))
            turn.replies.append(question(flow, step, frame.slots, turn.lang, reprompt=True))
            return
        frame.slots[step.slot] = value
        frame.editing = ""
        current = flow.steps[frame.step]
        frame.mode = "confirm" if isinstance(current, ConfirmStep) else ""
        if frame.mode:
            self.reask(turn)
        else:
            await self.engine.executor.run(turn)

    async def pending(self, turn: Turn, text: str) -> bool:
        """Settle an offer; True when the message was its answer."""
        state = turn.state
        kind = state.pending.get("kind")
        norm = normalize_command(text)
        if kind == "idle":
            state.pending = {}
            if norm in (normalize_command(t("idle_restart", "zh")),
                        normalize_command(t("idle_restart", "en")), "2"):
                await self.engine.commands.run(turn, "restart")
                return True
            if norm in (normalize_command(t("idle_continue", "zh")),
                        normalize_command(t("idle_continue", "en")), "1") \
                    or self.yes_no(text, turn.lang) is True:
                await self.carry_on(turn)
                return True
            return False
        if kind == "menu":
            state.pending = {}
            picked = self.engine.menu_pick(text)
            if picked is None:
                return False
            await self.engine.start(turn, picked)
            return True
        choice = self.yes_no(text, turn.lang)
        if kind == "resume":
            state.pending = {}
            if choice is None:
                return False
            frames = state.paused.pop()
            if choice:
                state.stack = frames
                turn.say("resumed", flow=self.engine.title(frames[0].flow, turn.lang))
                await self.carry_on(turn)
            else:
                turn.say("dropped")
            return True
        if kind == "consent":
            values = state.pending.get("values") or {}
            state.pending = {}
            if self.engine.profiles is not None:
                await turn.exclusive()
                await self.engine.profiles.save(turn.inbound.user_key, consent=bool(choice),
                                                values=values if choice else {})
            if choice is None:
                return False
            turn.say("consent_saved" if choice else "consent_declined")
            if state.paused and not state.stack:
                await self.engine.executor.finish_resume_offer(turn)
            return True
        state.pending = {}
        return False

    async def carry_on(self, turn: Turn) -> None:
        """Repeat what the top frame waits for; a frame waiting for nothing (sent back to
        its start by a flow update) walks on to its next question instead."""
        top = turn.state.top
        if top is not None and not top.mode:
            await self.engine.executor.run(turn)
        else:
            self.reask(turn)

    def reask(self, turn: Turn) -> None:
        """Repeat what the top frame waits for."""
        frame = turn.state.top
        flow = self.engine.flows.get(frame.flow) if frame else None
        if frame is None or flow is None or frame.step >= len(flow.steps):
            return
        step = flow.steps[frame.step]
        lang = turn.lang
        if frame.mode == "confirm" and isinstance(step, ConfirmStep):
            turn.replies.append(summary(flow, step, frame.slots, lang))
        elif frame.mode == "pick":
            names = editable_slots(flow, frame.step, frame.history)
            lines = [t("pick_field", lang, n=len(names))]
            for n, name in enumerate(names, 1):
                s = flow.collect_step(name)
                lines.append(f"{n}. {s.label.get(lang) if s else name}")
            turn.replies.append(Reply.say("\n".join(lines)))
        elif frame.mode == "edit":
            turn.replies.append(question(flow, flow.collect_step(frame.editing), frame.slots,
                                         lang))
        elif frame.mode == "reuse" and isinstance(step, CollectStep):
            turn.replies.append(yes_no(step.prompt.get(lang), lang))
        elif isinstance(step, CollectStep):
            turn.replies.append(question(flow, step, frame.slots, lang))
