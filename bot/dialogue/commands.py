"""Repair commands every flow gets for free: cancel, back, restart, help, skip, change,
human handoff and back to the bot, language switch, menu, forget my details.

Each command takes the turn and returns the :mod:`~bot.dialogue.outcomes` outcome the
engine acts on next.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.dialogue import handoff_relay, routing
from bot.dialogue.flows.model import CollectStep
from bot.dialogue.flows.registry import normalize_command
from bot.dialogue.outcomes import ADVANCE, DONE, OFFER_RESUME, REASK, Greet, Outcome
from bot.dialogue.presentation import waiting_replies
from bot.dialogue.prompts import editable_slots
from bot.dialogue.state import Frame
from bot.dialogue.texts import COMMAND_WORDS
from bot.dialogue.turn import Turn
from bot.messages import Reply

_LOOKUP = {normalize_command(word): name for name, words in COMMAND_WORDS.items()
           for word in words}
_LOOKUP["?"] = "help"


def match_command(text: str) -> str | None:
    """The command a whole message is, or None (``"取消！"`` → ``cancel``)."""
    norm = normalize_command(text)
    return _LOOKUP.get(norm) or (_LOOKUP.get(text.strip()) if not norm else None)


async def run_command(turn: Turn, name: str) -> Outcome:
    """Run the repair command ``name`` (a key of :data:`COMMANDS`)."""
    return await COMMANDS[name](turn)


def _switch(turn: Turn, lang: str) -> Outcome:
    turn.state.lang = lang
    turn.state.lang_chosen = True
    turn.say("lang_set")
    return REASK if turn.state.top else Greet()


async def _lang_en(turn: Turn) -> Outcome:
    return _switch(turn, "en")


async def _lang_zh(turn: Turn) -> Outcome:
    return _switch(turn, "zh")


async def _cancel(turn: Turn) -> Outcome:
    state = turn.state
    state.pending = {}
    if not state.stack:
        turn.say("nothing_to_cancel")
        return DONE
    turn.say("cancelled", flow=turn.parts.title(state.stack[0].flow, turn.lang))
    state.stack = []
    return OFFER_RESUME if state.paused else DONE


async def _back(turn: Turn) -> Outcome:
    frame = turn.state.top
    flow = turn.parts.flow(frame.flow) if frame else None
    if frame is None or flow is None:
        turn.say("nothing_to_cancel")
        return DONE
    if not frame.history:
        turn.say("back_first")
        return REASK
    target = frame.history.pop()
    for i, step in enumerate(flow.steps):
        if i >= target and isinstance(step, CollectStep):
            frame.slots.pop(step.slot, None)
    frame.history = [i for i in frame.history if i < target]
    frame.step, frame.mode, frame.editing, frame.fails = target, "", "", 0
    return ADVANCE


async def _restart(turn: Turn) -> Outcome:
    state = turn.state
    if not state.stack:
        return Greet()
    first = state.stack[0]
    if await routing.refused(turn, first.flow):  # a staff flow whose role was taken away
        state.stack, state.pending = [], {}
        return Greet(with_greeting=False)
    turn.say("restarted", flow=turn.parts.title(first.flow, turn.lang))
    keep = {k: v for k, v in first.slots.items() if k in ("scene", "venue")}
    state.stack = [Frame(first.flow, slots=keep)]
    state.pending = {}
    return ADVANCE


async def _help(turn: Turn) -> Outcome:
    frame = turn.state.top
    if frame is None:
        menu = turn.parts.flows.menu
        if menu is not None:
            turn.replies.append(Reply.say(menu.help.get(turn.lang)))
        return Greet(with_greeting=False)
    waiting = waiting_replies(turn)
    question = waiting[0].text if waiting else ""
    turn.say("help_in_flow", flow=turn.parts.title(frame.flow, turn.lang),
             question=question.split("\n")[0])
    turn.replies.extend(waiting)
    return DONE


async def _skip(turn: Turn) -> Outcome:
    frame = turn.state.top
    flow = turn.parts.flow(frame.flow) if frame else None
    if frame is None or flow is None or frame.mode != "ask":
        turn.say("nothing_to_skip")
        return DONE
    step = flow.steps[frame.step]
    if not isinstance(step, CollectStep) or not step.optional:
        turn.say("skip_required")
        return REASK
    frame.slots[step.slot] = None
    frame.history.append(frame.step)
    frame.step, frame.mode, frame.fails = frame.step + 1, "", 0
    turn.say("skipped")
    return ADVANCE


async def _change(turn: Turn) -> Outcome:
    frame = turn.state.top
    flow = turn.parts.flow(frame.flow) if frame else None
    names = editable_slots(flow, frame.step, frame.history) if frame and flow else []
    if not names:
        turn.say("nothing_to_change")
        return REASK
    assert frame is not None  # names is empty without a frame
    frame.mode = "pick"
    return REASK


async def _menu(turn: Turn) -> Outcome:
    if turn.state.stack:  # the next message may pick from the menu (or answer)
        turn.state.pending = {"kind": "menu"}
    return Greet()


async def _forget(turn: Turn) -> Outcome:
    if turn.parts.profiles is not None:
        await turn.exclusive()
        await turn.parts.profiles.erase(turn.inbound.user_key)
    turn.say("profile_erased")
    return DONE


#: every repair command by the name :func:`match_command` gives
COMMANDS: dict[str, Callable[[Turn], Awaitable[Outcome]]] = {
    "lang_en": _lang_en, "lang_zh": _lang_zh, "cancel": _cancel, "back": _back,
    "restart": _restart, "help": _help, "skip": _skip, "change": _change,
    "handoff": handoff_relay.request, "bot": handoff_relay.back_to_bot, "menu": _menu,
    "forget": _forget,
}
