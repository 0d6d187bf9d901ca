"""Which flow a message asks for: keywords, the menu, NLU intents; starting it."""

from __future__ import annotations

from typing import Any

from bot.dialogue.flows.model import Flow
from bot.dialogue.flows.registry import normalize_command
from bot.dialogue.outcomes import ADVANCE, REASK, Greet, Outcome
from bot.dialogue.presentation import menu_flows
from bot.dialogue.state import Frame
from bot.dialogue.turn import Turn
from bot.nlu.base import ParseResult

INTERRUPT_CONFIDENCE = 0.75  #: intent confidence that counts as "clearly another flow"
MAX_PAUSED = 3


async def parse(turn: Turn, text: str) -> ParseResult:
    """The NLU parse of ``text``, once per turn."""
    if turn.parse is None or turn.parse.text != text:
        turn.parse = await turn.parts.interpreter.parse(text)
    return turn.parse


async def other_flow(turn: Turn, text: str, *, strict: bool, nlu: bool = True
                     ) -> Flow | None:
    """A flow the text clearly asks for, other than the running one: by keyword, else
    (``nlu``) by intent."""
    flows = turn.parts.flows
    current = turn.state.stack[0].flow if turn.state.stack else None
    flow = flows.by_keyword(text)
    if flow is None and nlu:
        result = await parse(turn, text)
        need = INTERRUPT_CONFIDENCE if strict else turn.parts.threshold
        if result.intent.confidence >= need:
            flow = flows.by_intent(result.intent.name)
    return flow if flow is not None and flow.id != current else None


async def menu_pick(turn: Turn, text: str) -> Flow | None:
    """The menu item (by number or title) or flow title ``text`` names, if any."""
    flows = turn.parts.flows
    items = await menu_flows(turn)
    norm = normalize_command(text)
    if norm.isdigit() and 1 <= int(norm) <= len(items):
        return items[int(norm) - 1]
    for flow in flows.flows.values():
        if norm in (normalize_command(flow.title.zh), normalize_command(flow.title.en)):
            return flow
    return None


def trigger_flow(turn: Turn) -> tuple[Flow | None, dict[str, Any]]:
    """The flow a menu key, a scene QR code or a ``start`` request names, with its first
    answers."""
    inbound, flows = turn.inbound, turn.parts.flows
    if inbound.trigger == "menu":
        return flows.by_menu_key(inbound.value), {}
    if inbound.trigger == "scene":
        found = flows.by_scene(inbound.value)
        if found:
            flow, rest = found
            return flow, {"scene": inbound.value, "venue": rest}
    elif inbound.trigger == "flow":
        return flows.get(inbound.value), {}
    return None, {}


async def refused(turn: Turn, flow_id: str) -> bool:
    """True (and the sender told why) when the flow has an audience the sender is not in."""
    flow = turn.parts.flow(flow_id)
    if flow is None or not flow.audience:
        return False
    await turn.sender_roles()
    if turn.may_start(flow):
        return False
    turn.say("staff_only", flow=flow.title.get(turn.lang))
    return True


async def start_flow(turn: Turn, flow: Flow, slots: dict[str, Any]) -> Outcome:
    """Put ``flow`` on top; a different running flow is paused and offered back later.

    A flow with an ``audience`` starts only for a sender holding one of its roles;
    anyone else is told it is for staff and stays where they were."""
    state = turn.state
    if await refused(turn, flow.id):
        return REASK if state.stack else Greet(with_greeting=False)
    if state.stack:
        if state.stack[0].flow == flow.id and not slots:
            return REASK
        turn.say("interrupted", flow=turn.parts.title(state.stack[0].flow, turn.lang))
        state.paused = [*state.paused, state.stack][-MAX_PAUSED:]
    state.stack = [Frame(flow.id, slots=dict(slots))]
    state.pending = {}
    return ADVANCE
