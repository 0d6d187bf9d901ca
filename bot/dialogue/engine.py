"""The dialogue engine: one message in, replies out.

Order of work for a text: clean it → repair commands → a pending offer → the awaited
answer (slot, summary, field pick) → start or interrupt a flow → fallback. Each of those
steps takes the :class:`~bot.dialogue.turn.Turn` and returns an outcome
(:mod:`bot.dialogue.outcomes`); the engine loops over the outcomes until the turn is
done. State is loaded after the conversation lock is taken and saved with the turn log
before it is released (see :mod:`bot.dialogue.store`).
"""

from __future__ import annotations

import logging
import time
import unicodedata
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot import metrics
from bot.actions import ActionRegistry
from bot.clock import Clock
from bot.conditions import ConditionError
from bot.dialogue import answers, executor, handoff_relay, routing
from bot.dialogue.commands import match_command, run_command
from bot.dialogue.flow_update import refresh, stamp
from bot.dialogue.flows.registry import FlowRegistry
from bot.dialogue.outcomes import (
    CARRY_ON,
    DONE,
    REASK,
    ActionFailed,
    Advance,
    CarryOn,
    Done,
    FlowLoopError,
    Greet,
    OfferResume,
    Outcome,
    Reask,
    RunCommand,
    StartFlow,
)
from bot.dialogue.presentation import greet, offer_idle, offer_resume, reask
from bot.dialogue.state import State
from bot.dialogue.store import ConversationStore, StaleConversation, TurnRecord
from bot.dialogue.texts import t
from bot.dialogue.turn import DialogueParts, Turn
from bot.messages import Inbound, Reply
from bot.nlu.base import Interpreter
from bot.nlu.language import guess_language
from bot.services.handoffs import Handoffs
from bot.services.profiles import Profiles

log = logging.getLogger("tongguan.dialogue")

MAX_TEXT = 2000  #: characters of one message the engine reads
STALE_ATTEMPTS = 5  #: runs of one turn that found its conversation changed elsewhere
MAX_OUTCOMES = 50  #: outcomes one turn may follow (a real turn needs a handful)
#: intents about the conversation itself; any other names a service a flow may offer
CONVERSATION_INTENTS = frozenset({"greet", "help", "cancel", "human_handoff", "affirm",
                                  "deny", "out_of_scope", "nlu_fallback"})


def clean_text(text: str) -> str:
    """NFC, control characters removed (newlines kept as spaces), trimmed."""
    text = unicodedata.normalize("NFC", text)
    if text.isprintable():  # no Cc, Cf or Cs character (nor \r\n\t): nothing to remove
        return text.strip()
    text = "".join(" " if ch in "\r\n\t" else ch for ch in text
                   if ch in "\r\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    return text.strip()


class Engine:
    """Handles messages of every channel against the live flows."""

    def __init__(self, *, flows: FlowRegistry, interpreter: Interpreter,
                 actions: ActionRegistry, store: ConversationStore, clock: Clock,
                 profiles: Profiles | None = None, handoffs: Handoffs | None = None,
                 default_lang: str = "zh", idle: timedelta = timedelta(minutes=30),
                 threshold: float = 0.45,
                 roles: Callable[[str], Awaitable[frozenset[str]]] | None = None) -> None:
        self.parts = DialogueParts(
            flows=flows, interpreter=interpreter, actions=actions, store=store, clock=clock,
            profiles=profiles, handoffs=handoffs, default_lang=default_lang, idle=idle,
            threshold=threshold, roles=roles)

    @property
    def flows(self) -> FlowRegistry:
        return self.parts.flows

    @property
    def store(self) -> ConversationStore:
        return self.parts.store

    # -- entry point ------------------------------------------------------------
    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Handle one message; returns the replies (also logged with the turn).

        A turn that loaded a copy another process has changed since is run again on the
        fresh state (it wrote nothing: see :mod:`bot.dialogue.store`); the last attempt
        locks the conversation before it starts.

        A message with a receipt key (``inbound.receipt``) is run at most once: its save
        writes the receipt, and a message ``resumed`` from a process that died (or a run
        again after another process changed the conversation) whose receipt is there is
        answered with the replies saved then, not run a second time.
        """
        started = time.perf_counter()
        try:
            for attempt in range(1, STALE_ATTEMPTS + 1):
                if inbound.receipt and (inbound.resumed or attempt > 1):
                    saved = await self.parts.store.receipt(inbound.receipt)
                    if saved is not None:
                        log.info("turn.already_saved attempt=%d", attempt)
                        return [Reply.from_json(r) for r in saved]
                try:
                    return await self._handle(inbound, lock_first=attempt == STALE_ATTEMPTS)
                except StaleConversation:
                    log.info("conversation.stale attempt=%d", attempt)
            raise AssertionError("unreachable")
        finally:
            metrics.turn_seconds(inbound.channel, time.perf_counter() - started)

    async def _handle(self, inbound: Inbound, *, lock_first: bool) -> list[Reply]:
        flows = self.parts.flows
        async with self.parts.store.open(inbound.user_key) as conv:
            conv.receipt = inbound.receipt
            if lock_first:
                await conv.exclusive()
            turn = Turn(self.parts, conv.state, inbound, guard=conv.exclusive)
            reshow = refresh(conv.state, flows.get, flows.earlier)
            try:
                updated = any(f is conv.state.top for f in reshow)
                await self._follow(turn, await self._first(turn, updated=updated))
            except ActionFailed as err:
                conv.state = conv.restore()
                refresh(conv.state, flows.get, flows.earlier)
                turn.state = conv.state
                turn.replies = list(err.replies)
                if not err.final:
                    turn.say("retry_hint")
                else:  # nothing to retry: the flow ends (a paused one is offered back)
                    conv.state.stack, conv.state.pending = [], {}
                    if conv.state.paused:
                        offer_resume(turn)
            except (FlowLoopError, ConditionError):
                log.exception("flow.broken user_flow=%s",
                              conv.state.top.flow if conv.state.top else "-")
                conv.state.stack.clear()
                conv.state.pending = {}
                turn.replies = [Reply.say(t("internal", turn.lang))]
            else:
                conv.inserts.extend(turn.inserts)  # a failed turn inserts nothing
            conv.state.touch(self.parts.clock.now())
            stamp(conv.state, flows.get)
            parse = turn.parse
            flow_id = conv.state.top.flow if conv.state.top else None
            conv.log(TurnRecord(
                inbound=inbound.to_json(), parse=parse.to_dict() if parse else None,
                replies=[r.to_json() for r in turn.replies], flow_id=flow_id,
                intent=parse.intent.name if parse else None))
        metrics.turn_saved(inbound.channel, flow_id)  # saved: counts
        return turn.replies

    async def _follow(self, turn: Turn, outcome: Outcome) -> None:
        """Act on outcomes until the turn is done."""
        for _ in range(MAX_OUTCOMES):
            match outcome:
                case Done():
                    return
                case Advance():
                    outcome = await executor.advance(turn)
                case StartFlow(flow=flow, slots=slots):
                    outcome = await routing.start_flow(turn, flow, slots)
                case RunCommand(name=name):
                    outcome = await run_command(turn, name)
                case Reask():
                    reask(turn)
                    outcome = DONE
                case CarryOn():
                    top = turn.state.top
                    if top is not None and not top.mode:
                        outcome = await executor.advance(turn)
                    else:
                        reask(turn)
                        outcome = DONE
                case Greet(with_greeting=with_greeting):
                    await greet(turn, with_greeting=with_greeting)
                    outcome = DONE
                case OfferResume():
                    offer_resume(turn)
                    outcome = DONE
        raise FlowLoopError("a turn followed too many outcomes")

    async def _first(self, turn: Turn, *, updated: bool) -> Outcome:
        """What the message means, as the first outcome.

        ``updated``: the running flow was edited and the user must see where they now
        stand before a message counts as an answer (see :mod:`bot.dialogue.flow_update`).
        """
        inbound, state = turn.inbound, turn.state
        if inbound.kind in ("welcome", "start", "location"):
            self._set_lang(state, "")
        if inbound.kind == "welcome":
            return Greet()
        if inbound.kind == "start":
            flow, slots = routing.trigger_flow(turn)
            return StartFlow(flow, slots) if flow is not None else Greet()
        if inbound.kind == "location":
            if state.handoff and (relayed := await handoff_relay.relay(
                    turn, handoff_relay.location_text(inbound.location))) is not None:
                return relayed
            top = state.top
            if updated:
                return self._updated(turn)
            if top is not None and top.mode in ("ask", "edit"):
                return await answers.answer(turn, "", location=inbound.location)
            turn.say("location_needed")
            return REASK if top else Greet()
        text = clean_text(inbound.text)
        self._set_lang(state, text)
        if not text:
            turn.say("empty")
            return REASK
        if len(text) > MAX_TEXT:  # not cut: a cut answer would be stored as if whole
            turn.say("too_long", n=len(text), max=MAX_TEXT)
            return REASK if state.stack else Greet(with_greeting=False)
        if state.handoff and (relayed := await handoff_relay.relay(turn, text)) is not None:
            return relayed  # a staff member holds the user's request: the message is theirs
        command = match_command(text)
        if command:
            return RunCommand(command)
        if updated:
            return self._updated(turn)
        if state.stack and self._idle(state) and not state.pending:
            offer_idle(turn)
            return DONE
        if state.pending and (settled := await answers.pending(turn, text)) is not None:
            return settled
        top = state.top
        if top is not None and top.mode:
            return await answers.answer(turn, text)
        return await self._route(turn, text)

    @staticmethod
    def _updated(turn: Turn) -> Outcome:
        """Say the running flow changed, then show its summary again or ask its first
        question still unanswered."""
        top = turn.state.top
        assert top is not None  # only called when refresh re-showed the top frame
        turn.say("flow_changed", flow=turn.parts.title(top.flow, turn.lang))
        return CARRY_ON

    async def _route(self, turn: Turn, text: str) -> Outcome:
        """No flow is waiting for an answer: start one, or greet, help, fall back."""
        flow = await routing.menu_pick(turn, text) or await routing.other_flow(turn, text,
                                                                          strict=False)
        if flow is not None:
            return StartFlow(flow)
        parse = await routing.parse(turn, text)
        intent = parse.intent.name if parse.intent.confidence >= self.parts.threshold else ""
        if intent == "human_handoff":
            return RunCommand("handoff")
        if intent == "help":
            return RunCommand("help")
        if intent == "cancel":
            turn.say("nothing_to_cancel")
            return DONE
        if intent == "greet":
            return Greet()
        if intent and intent not in CONVERSATION_INTENTS:
            turn.say("not_offered")  # understood, but no live flow serves it
            return Greet(with_greeting=False)
        menu = self.parts.flows.menu
        if menu is not None:
            turn.replies.append(Reply.say(menu.fallback.get(turn.lang)))
        return Greet(with_greeting=False)

    # -- language, idle -------------------------------------------------------------
    def _set_lang(self, state: State, text: str) -> None:
        if not state.lang:
            state.lang = guess_language(text) or self.parts.default_lang

    def _idle(self, state: State) -> bool:
        if not state.last_active:
            return False
        last = datetime.fromisoformat(state.last_active)
        return self.parts.clock.now() - last > self.parts.idle
