"""One message being handled (:class:`Turn`) and the parts every step may read
(:class:`DialogueParts`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.actions import ActionRegistry, RowInsert
from bot.clock import Clock
from bot.dialogue.flows.model import Flow
from bot.dialogue.flows.registry import FlowRegistry
from bot.dialogue.state import State
from bot.dialogue.store import ConversationStore
from bot.dialogue.texts import t
from bot.messages import Inbound, Reply
from bot.nlu.base import Interpreter, ParseResult

if TYPE_CHECKING:
    from bot.services.handoffs import Handoffs
    from bot.services.profiles import ProfileData, Profiles


@dataclass(frozen=True)
class DialogueParts:
    """What steps read: the live flows, NLU, actions, services and settings."""

    flows: FlowRegistry
    interpreter: Interpreter
    actions: ActionRegistry
    store: ConversationStore
    clock: Clock
    profiles: Profiles | None = None
    handoffs: Handoffs | None = None
    default_lang: str = "zh"
    idle: timedelta = timedelta(minutes=30)  #: quiet time after which a flow is offered back
    threshold: float = 0.45  #: intent confidence that starts a flow when none is running
    #: the staff roles a chat identity holds (flows with an ``audience``); None: no one has any
    roles: Callable[[str], Awaitable[frozenset[str]]] | None = None

    def flow(self, flow_id: str) -> Flow | None:
        return self.flows.get(flow_id)

    def title(self, flow_id: str, lang: str) -> str:
        """A flow's title in ``lang`` (its id when the flow is gone)."""
        flow = self.flows.get(flow_id)
        return flow.title.get(lang) if flow else flow_id


@dataclass
class Turn:
    """One message being handled: the state, who sent it, and the replies so far."""

    parts: DialogueParts
    state: State
    inbound: Inbound
    replies: list[Reply] = field(default_factory=list)
    parse: ParseResult | None = None  #: the NLU parse, once something needed it
    profile: ProfileData | None = None  #: the user's saved profile, once read
    roles: frozenset[str] | None = None  #: the sender's staff roles, once a step needed them
    #: rows the turn's actions asked to insert with its save
    inserts: list[RowInsert] = field(default_factory=list)
    #: locks the conversation for the rest of the turn (see :mod:`bot.dialogue.store`)
    guard: Callable[[], Awaitable[None]] | None = None

    async def exclusive(self) -> None:
        """Call before the turn writes anything besides the conversation itself."""
        if self.guard is not None:
            await self.guard()

    async def sender_roles(self) -> frozenset[str]:
        """The staff roles the sender's chat identity holds (looked up once a turn)."""
        if self.roles is None:
            lookup = self.parts.roles
            self.roles = await lookup(self.inbound.user_key) if lookup else frozenset()
        return self.roles

    def may_start(self, flow: Flow) -> bool:
        """Whether the sender is in ``flow``'s audience (call :meth:`sender_roles` first)."""
        return not flow.audience or bool(self.roles and self.roles.intersection(flow.audience))

    @property
    def lang(self) -> str:
        return self.state.lang or "zh"

    def say(self, key: str, **values: object) -> None:
        self.replies.append(Reply.say(t(key, self.lang, **values)))
