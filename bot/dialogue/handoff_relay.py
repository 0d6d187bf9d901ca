"""Human handoff in the conversation: asking for a person, talking to one, going back.

A request (the ``handoff`` command, or the ``human_handoff`` intent) is saved with the
turns before it and its id kept in the state (:attr:`State.handoff`). Only then does a
turn look at the request: a user who never asked costs no query. While a staff member
has claimed it, the user's text goes into the request's thread for them and the bot says
nothing; ``返回机器人`` / ``back to bot`` (the ``bot`` command) ends it. Once staff close
it, the next message finds it closed, forgets it and is the bot's again.
"""

from __future__ import annotations

import re

from bot.dialogue.flows.registry import normalize_command
from bot.dialogue.outcomes import DONE, REASK, Greet, Outcome, RunCommand
from bot.dialogue.texts import COMMAND_WORDS
from bot.dialogue.turn import Turn
from bot.messages import Location

_BACK = frozenset(normalize_command(w) for w in COMMAND_WORDS["bot"])
_DISTRICT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")  #: a staff scope's form


def location_text(place: Location | None) -> str:
    """A shared location as the thread shows it."""
    if place is None:
        return "📍"
    return " ".join(p for p in ("📍", place.label, f"({place.lat:.5f}, {place.lng:.5f})") if p)


async def relay(turn: Turn, text: str) -> Outcome | None:
    """``text`` goes to the staff member holding the user's request (the outcome), or
    None when the bot should answer it (no claim, or the ``bot`` command)."""
    handoffs, state = turn.parts.handoffs, turn.state
    if handoffs is None:
        return None
    status = await handoffs.status(state.handoff)
    if status in (None, "closed"):
        state.handoff = 0
        return None
    if status != "claimed":
        return None
    if normalize_command(text) in _BACK:
        return RunCommand("bot")
    await turn.exclusive()
    if await handoffs.from_resident(state.handoff, turn.inbound.user_key, text):
        return DONE  # a person answers: the bot stays quiet
    return None  # closed meanwhile


def _district(turn: Turn) -> str | None:
    """The district the user's running flows named, if any (places the request)."""
    for frame in reversed([f for stack in (turn.state.stack, *turn.state.paused)
                           for f in stack]):
        value = frame.slots.get("district")
        if isinstance(value, str) and _DISTRICT.fullmatch(value):
            return value
    return None


async def request(turn: Turn) -> Outcome:
    """The ``handoff`` command: save a request with the recent turns (once: a user whose
    request is still open is told its number again)."""
    parts, state = turn.parts, turn.state
    request_id = 0
    if parts.handoffs is not None:
        if state.handoff and await parts.handoffs.status(state.handoff) in ("open",
                                                                            "claimed"):
            turn.say("handoff_waiting", id=state.handoff)
            return REASK if state.top else DONE
        await turn.exclusive()
        past = await parts.store.recent_turns(turn.inbound.user_key)
        transcript = [{"in": p.inbound, "out": p.replies} for p in past]
        transcript.append({"in": turn.inbound.to_json(), "out": []})
        top = state.top
        request_id = await parts.handoffs.create(
            turn.inbound.user_key, top.flow if top else None, transcript, lang=turn.lang,
            district=_district(turn))
        state.handoff = request_id
    turn.say("handoff_done", id=request_id)
    return REASK if state.top else DONE


async def back_to_bot(turn: Turn) -> Outcome:
    """The ``bot`` command: end the user's request and carry on with the bot."""
    parts, state = turn.parts, turn.state
    if state.handoff and parts.handoffs is not None:
        await turn.exclusive()
        ended = await parts.handoffs.back_to_bot(state.handoff, turn.inbound.user_key)
        state.handoff = 0
        if ended:
            turn.say("handoff_ended")
            return REASK if state.top else Greet(with_greeting=False)
    turn.say("no_handoff")
    return REASK if state.top else Greet(with_greeting=False)
