"""Repair commands every flow gets for free: cancel, back, restart, help, skip, change,
human handoff, language switch, menu, forget my details."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.dialogue.executor import Turn
from bot.dialogue.flows.model import CollectStep
from bot.dialogue.flows.registry import normalize_command
from bot.dialogue.prompts import editable_slots
from bot.dialogue.state import Frame
from bot.dialogue.texts import COMMAND_WORDS
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.dialogue.engine import Engine

_LOOKUP = {normalize_command(word): name for name, words in COMMAND_WORDS.items()
           for word in words}
_LOOKUP["?"] = "help"


def match_command(text: str) -> str | None:
    """The command a whole message is, or None (``"取消！"`` → ``cancel``)."""
    norm = normalize_command(text)
    return _LOOKUP.get(norm) or (_LOOKUP.get(text.strip()) if not norm else None)


class CommandHandler:
    """Runs repair commands against the current state."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def run(self, turn: Turn, command: str) -> None:
        await getattr(self, f"_{command}")(turn)

    async def _lang_en(self, turn: Turn) -> None:
        await self._switch(turn, "en")

    async def _lang_zh(self, turn: Turn) -> None:
        await self._switch(turn, "zh")

    async def _switch(self, turn: Turn, lang: str) -> None:
        turn.state.lang = lang
        turn.state.lang_chosen = True
        turn.say("lang_set")
        if turn.state.top:
            self.engine.reask(turn)
        else:
            self.engine.greet(turn)

    async def _cancel(self, turn: Turn) -> None:
        state = turn.state
        state.pending = {}
        if not state.stack:
            turn.say("nothing_to_cancel")
            return
        turn.say("cancelled", flow=self.engine.title(state.stack[0].flow, turn.lang))
        state.stack = []
        if state.paused:
            await self.engine.executor.finish_resume_offer(turn)

    async def _back(self, turn: Turn) -> None:
        frame = turn.state.top
        flow = self.engine.flows.get(frame.flow) if frame else None
        if frame is None or flow is None:
            turn.say("nothing_to_cancel")
            return
        if not frame.history:
            turn.say("back_first")
            self.engine.reask(turn)
            return
        target = frame.history.pop()
        for i, step in enumerate(flow.steps):
            if i >= target and isinstance(step, CollectStep):
                frame.slots.pop(step.slot, None)
        frame.history = [i for i in frame.history if i < target]
        frame.step, frame.mode, frame.editing, frame.fails = target, "", "", 0
        await self.engine.executor.run(turn)

    async def _restart(self, turn: Turn) -> None:
        state = turn.state
        if not state.stack:
            self.engine.greet(turn)
            return
        first = state.stack[0]
        turn.say("restarted", flow=self.engine.title(first.flow, turn.lang))
        keep = {k: v for k, v in first.slots.items() if k in ("scene", "venue")}
        state.stack = [Frame(first.flow, slots=keep)]
        state.pending = {}
        await self.engine.executor.run(turn)

    async def _help(self, turn: Turn) -> None:
        frame = turn.state.top
        if frame is None:
            menu = self.engine.flows.menu
            if menu is not None:
                turn.replies.append(Reply.say(menu.help.get(turn.lang)))
            self.engine.greet(turn, with_greeting=False)
            return
        probe = Turn(turn.state, turn.inbound, guard=turn.guard)
        self.engine.reask(probe)
        question = probe.replies[0].text if probe.replies else ""
        turn.say("help_in_flow", flow=self.engine.title(frame.flow, turn.lang),
                 question=question.split("\n")[0])
        turn.replies.extend(probe.replies)

    async def _skip(self, turn: Turn) -> None:
        frame = turn.state.top
        flow = self.engine.flows.get(frame.flow) if frame else None
        if frame is None or flow is None or frame.mode != "ask":
            turn.say("nothing_to_skip")
            return
        step = flow.steps[frame.step]
        if not isinstance(step, CollectStep) or not step.optional:
            turn.say("skip_required")
            self.engine.reask(turn)
            return
        frame.slots[step.slot] = None
        frame.history.append(frame.step)
        frame.step, frame.mode, frame.fails = frame.step + 1, "", 0
        turn.say("skipped")
        await self.engine.executor.run(turn)

    async def _change(self, turn: Turn) -> None:
        frame = turn.state.top
        flow = self.engine.flows.get(frame.flow) if frame else None
        names = editable_slots(flow, frame.step, frame.history) if frame and flow else []
        if not names:
            turn.say("nothing_to_change")
            self.engine.reask(turn)
            return
        frame.mode = "pick"
        self.engine.reask(turn)

    async def _handoff(self, turn: Turn) -> None:
        engine = self.engine
        request_id = 0
        if engine.handoffs is not None:
            await turn.exclusive()
            past = await engine.store.recent_turns(turn.inbound.user_key)
            transcript = [{"in": p.inbound, "out": p.replies} for p in past]
            transcript.append({"in": turn.inbound.to_json(), "out": []})
            top = turn.state.top
            request_id = await engine.handoffs.create(turn.inbound.user_key,
                                                      top.flow if top else None, transcript)
        turn.say("handoff_done", id=request_id)
        if turn.state.top:
            engine.reask(turn)

    async def _menu(self, turn: Turn) -> None:
        if turn.state.stack:  # the next message may pick from the menu (or answer)
            turn.state.pending = {"kind": "menu"}
        self.engine.greet(turn)

    async def _forget(self, turn: Turn) -> None:
        if self.engine.profiles is not None:
            await turn.exclusive()
            await self.engine.profiles.erase(turn.inbound.user_key)
        turn.say("profile_erased")
