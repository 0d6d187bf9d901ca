"""The dialogue engine: one message in, replies out.

Order of work for a text: clean it → repair commands → a pending offer → the awaited
answer (slot, summary, field pick) → start or interrupt a flow → fallback. State is
loaded after the conversation lock is taken and saved with the turn log before it is
released (see :mod:`bot.dialogue.store`).
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from bot.actions import ActionRegistry
from bot.clock import Clock
from bot.conditions import ConditionError
from bot.dialogue.answers import AnswerHandler
from bot.dialogue.commands import CommandHandler, match_command
from bot.dialogue.executor import ActionFailed, Executor, FlowLoopError, Turn
from bot.dialogue.flow_update import refresh, stamp
from bot.dialogue.flows.model import Flow
from bot.dialogue.flows.registry import FlowRegistry, normalize_command
from bot.dialogue.profile_reuse import ProfileReuse
from bot.dialogue.state import Frame, State
from bot.dialogue.store import ConversationStore, StaleConversation, TurnRecord
from bot.dialogue.texts import t
from bot.messages import Inbound, Option, Reply
from bot.nlu.base import Interpreter, ParseResult
from bot.nlu.language import guess_language
from bot.services.handoffs import Handoffs
from bot.services.profiles import Profiles

log = logging.getLogger("tongguan.dialogue")

MAX_TEXT = 2000  #: characters of one message the engine reads
INTERRUPT_CONFIDENCE = 0.75  #: intent confidence that counts as "clearly another flow"
MAX_PAUSED = 3
STALE_ATTEMPTS = 5  #: runs of one turn that found its conversation changed elsewhere
#: intents about the conversation itself; any other names a service a flow may offer
CONVERSATION_INTENTS = frozenset({"greet", "help", "cancel", "human_handoff", "affirm",
                                  "deny", "out_of_scope", "nlu_fallback"})


def clean_text(text: str) -> str:
    """NFC, control characters removed (newlines kept as spaces), trimmed."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(" " if ch in "\r\n\t" else ch for ch in text
                   if ch in "\r\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    return text.strip()


class Engine:
    """Handles messages of every channel against the live flows."""

    def __init__(self, *, flows: FlowRegistry, interpreter: Interpreter,
                 actions: ActionRegistry, store: ConversationStore, clock: Clock,
                 profiles: Profiles | None = None, handoffs: Handoffs | None = None,
                 default_lang: str = "zh", idle: timedelta = timedelta(minutes=30),
                 threshold: float = 0.45) -> None:
        self.flows = flows
        self.interpreter = interpreter
        self.actions = actions
        self.store = store
        self.clock = clock
        self.profiles = profiles
        self.handoffs = handoffs
        self.default_lang = default_lang
        self.idle = idle
        self.threshold = threshold
        self.executor = Executor(self)
        self.commands = CommandHandler(self)
        self.answers = AnswerHandler(self)
        self.profile_reuse = ProfileReuse(self)

    # -- entry point ------------------------------------------------------------
    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Handle one message; returns the replies (also logged with the turn).

        A turn that loaded a copy another process has changed since is run again on the
        fresh state (it wrote nothing: see :mod:`bot.dialogue.store`); the last attempt
        locks the conversation before it starts.
        """
        for attempt in range(1, STALE_ATTEMPTS + 1):
            try:
                return await self._handle(inbound, lock_first=attempt == STALE_ATTEMPTS)
            except StaleConversation:
                log.info("conversation.stale attempt=%d", attempt)
        raise AssertionError("unreachable")

    async def _handle(self, inbound: Inbound, *, lock_first: bool) -> list[Reply]:
        async with self.store.open(inbound.user_key) as conv:
            if lock_first:
                await conv.exclusive()
            turn = Turn(conv.state, inbound, guard=conv.exclusive)
            reshow = refresh(conv.state, self.flows.get, self.flows.earlier)
            try:
                await self._dispatch(turn, updated=any(f is conv.state.top for f in reshow))
            except ActionFailed as err:
                conv.state = conv.restore()
                refresh(conv.state, self.flows.get, self.flows.earlier)
                turn.state = conv.state
                turn.replies = [*err.replies, Reply.say(t("retry_hint", turn.lang))]
            except (FlowLoopError, ConditionError):
                log.exception("flow.broken user_flow=%s",
                              conv.state.top.flow if conv.state.top else "-")
                conv.state.stack.clear()
                conv.state.pending = {}
                turn.replies = [Reply.say(t("internal", turn.lang))]
            else:
                conv.inserts.extend(turn.inserts)  # a failed turn inserts nothing
            conv.state.touch(self.clock.now())
            stamp(conv.state, self.flows.get)
            parse = turn.parse
            conv.log(TurnRecord(
                inbound=inbound.to_json(), parse=parse.to_dict() if parse else None,
                replies=[r.to_json() for r in turn.replies],
                flow_id=conv.state.top.flow if conv.state.top else None,
                intent=parse.intent.name if parse else None))
            return turn.replies

    async def _dispatch(self, turn: Turn, *, updated: bool = False) -> None:
        """``updated``: the running flow was edited and the user must see where they now
        stand before a message counts as an answer (see :mod:`bot.dialogue.flow_update`)."""
        inbound, state = turn.inbound, turn.state
        if inbound.kind == "welcome":
            self._set_lang(state, "")
            self.greet(turn)
            return
        if inbound.kind == "start":
            self._set_lang(state, "")
            await self._start_trigger(turn)
            return
        if inbound.kind == "image":
            self._set_lang(state, "")
            turn.replies.append(Reply.say("收到图片，谢谢。" if turn.lang == "zh"
                                          else "Picture received, thank you."))
            self.reask(turn)
            return
        if inbound.kind == "location":
            self._set_lang(state, "")
            top = state.top
            if updated:
                await self._carry_on_updated(turn)
            elif top is not None and top.mode in ("ask", "edit"):
                await self.answers.answer(turn, "", location=inbound.location)
            else:
                turn.say("location_needed")
                self.reask(turn) if top else self.greet(turn)
            return
        text = clean_text(inbound.text)
        self._set_lang(state, text)
        if not text:
            turn.say("empty")
            self.reask(turn)
            return
        if len(text) > MAX_TEXT:  # not cut: a cut answer would be stored as if whole
            turn.say("too_long", n=len(text), max=MAX_TEXT)
            self.reask(turn) if state.stack else self.greet(turn, with_greeting=False)
            return
        command = match_command(text)
        if command:
            await self.commands.run(turn, command)
            return
        if updated:
            await self._carry_on_updated(turn)
            return
        if state.stack and self._idle(state) and not state.pending:
            self._offer_idle(turn)
            return
        if state.pending and await self.answers.pending(turn, text):
            return
        top = state.top
        if top is not None and top.mode:
            await self.answers.answer(turn, text)
            return
        await self.route(turn, text)

    async def _carry_on_updated(self, turn: Turn) -> None:
        """Say the running flow changed, then show its summary again or ask its first
        question still unanswered."""
        turn.say("flow_changed", flow=self.title(turn.state.top.flow, turn.lang))
        await self.answers.carry_on(turn)

    # -- routing -----------------------------------------------------------------
    async def parse(self, turn: Turn, text: str) -> ParseResult:
        if turn.parse is None or turn.parse.text != text:
            turn.parse = await self.interpreter.parse(text)
        return turn.parse

    async def other_flow(self, turn: Turn, text: str, *, strict: bool) -> Flow | None:
        """A flow the text clearly asks for, other than the running one."""
        current = turn.state.stack[0].flow if turn.state.stack else None
        flow = self.flows.by_keyword(text)
        if flow is None:
            parse = await self.parse(turn, text)
            need = INTERRUPT_CONFIDENCE if strict else self.threshold
            if parse.intent.confidence >= need:
                flow = self.flows.by_intent(parse.intent.name)
        return flow if flow is not None and flow.id != current else None

    async def route(self, turn: Turn, text: str) -> None:
        """No flow is waiting for an answer: start one, or greet, help, fall back."""
        menu_flow = self.menu_pick(text)
        flow = menu_flow or await self.other_flow(turn, text, strict=False)
        if flow is not None:
            await self.start(turn, flow)
            return
        parse = await self.parse(turn, text)
        intent = parse.intent.name if parse.intent.confidence >= self.threshold else ""
        if intent == "human_handoff":
            await self.commands.run(turn, "handoff")
        elif intent == "help":
            await self.commands.run(turn, "help")
        elif intent == "cancel":
            turn.say("nothing_to_cancel")
        elif intent == "greet":
            self.greet(turn)
        elif intent and intent not in CONVERSATION_INTENTS:
            turn.say("not_offered")  # understood, but no live flow serves it
            self.greet(turn, with_greeting=False)
        else:
            menu = self.flows.menu
            if menu is not None:
                turn.replies.append(Reply.say(menu.fallback.get(turn.lang)))
            self.greet(turn, with_greeting=False)

    def menu_pick(self, text: str) -> Flow | None:
        """The menu item (by number or title) or flow title ``text`` names, if any."""
        menu = self.flows.menu
        items = [self.flows.get(i) for i in (menu.items if menu else ())]
        items = [f for f in items if f is not None]
        norm = normalize_command(text)
        if norm.isdigit() and 1 <= int(norm) <= len(items):
            return items[int(norm) - 1]
        for flow in self.flows.flows.values():
            if norm in (normalize_command(flow.title.zh), normalize_command(flow.title.en)):
                return flow
        return None

    async def _start_trigger(self, turn: Turn) -> None:
        inbound = turn.inbound
        slots: dict[str, Any] = {}
        flow: Flow | None = None
        if inbound.trigger == "menu":
            flow = self.flows.by_menu_key(inbound.value)
        elif inbound.trigger == "scene":
            found = self.flows.by_scene(inbound.value)
            if found:
                flow, rest = found
                slots = {"scene": inbound.value, "venue": rest}
        elif inbound.trigger == "flow":
            flow = self.flows.get(inbound.value)
        if flow is None:
            self.greet(turn)
            return
        await self.start(turn, flow, slots)

    async def start(self, turn: Turn, flow: Flow, slots: dict[str, Any] | None = None) -> None:
        """Start ``flow``; a different running flow is paused and offered back later."""
        state = turn.state
        if state.stack:
            if state.stack[0].flow == flow.id and not slots:
                self.reask(turn)
                return
            turn.say("interrupted", flow=self.title(state.stack[0].flow, turn.lang))
            state.paused = [*state.paused, state.stack][-MAX_PAUSED:]
        state.stack = [Frame(flow.id, slots=dict(slots or {}))]
        state.pending = {}
        await self.executor.run(turn)

    # -- presentation -----------------------------------------------------------
    def title(self, flow_id: str, lang: str) -> str:
        flow = self.flows.get(flow_id)
        return flow.title.get(lang) if flow else flow_id

    def greet(self, turn: Turn, *, with_greeting: bool = True) -> None:
        menu = self.flows.menu
        lang = turn.lang
        items = [f for f in (self.flows.get(i) for i in (menu.items if menu else ())) if f]
        lines = [menu.greeting.get(lang)] if menu and with_greeting else []
        lines.append(t("menu_prompt", lang))
        turn.replies.append(Reply(type="options", text="\n".join(lines),
                                  options=tuple(Option(f.title.get(lang), f.title.get(lang))
                                                for f in items)))

    def reask(self, turn: Turn) -> None:
        """Repeat whatever the conversation is waiting for."""
        self.answers.reask(turn)

    # -- language, idle, profiles --------------------------------------------------
    def _set_lang(self, state: State, text: str) -> None:
        if not state.lang:
            state.lang = guess_language(text) or self.default_lang

    def _idle(self, state: State) -> bool:
        if not state.last_active:
            return False
        last = datetime.fromisoformat(state.last_active)
        return self.clock.now() - last > self.idle

    def _offer_idle(self, turn: Turn) -> None:
        lang = turn.lang
        turn.state.pending = {"kind": "idle"}
        title = self.title(turn.state.stack[0].flow, lang)
        options = tuple(Option(t(key, lang), t(key, lang))
                        for key in ("idle_continue", "idle_restart"))
        turn.replies.append(Reply(type="options", text=t("idle_offer", lang, flow=title),
                                  options=options))
