"""The hub: every long-lived part of one Tongguan process, built once, passed around.

No module-level singletons: the web app, the CLI and tests build a :class:`Hub` with
:func:`bot.assembly.open_hub` (the base parts from :func:`open_base_hub`, then every
feature of :mod:`bot.features` and the dialogue) and hand it (or the part needed) to
whatever needs it.

The hub knows nothing of the features or of the dialogue: a feature keeps what it
builds once per process in :attr:`Hub.parts`, keyed by the part's class, and serves
images to the channels through :attr:`Hub.media`; the dialogue's parts are typed here by
the little the rest of the process uses of them (:class:`DialogueEngine`,
:class:`FlowSource`, :class:`Interpreter`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from bot.actions import ActionRegistry
from bot.clock import Clock
from bot.config import Settings
from bot.db.database import Database, make_database
from bot.messages import Inbound, Reply
from bot.privacy import Sealer
from bot.services.outbox import Deliverer, Outbox

T = TypeVar("T")

#: ``async (url) -> bytes | None``: the bytes of an image this server serves at ``url``.
MediaGetter = Callable[[str], Awaitable[bytes | None]]


class Parts:
    """Parts features build once per process, one per class.

    ``hub.parts.setdefault(Declarations, lambda: Declarations(...))`` builds on first
    use; ``hub.parts.get(Declarations)`` is None until then.
    """

    def __init__(self) -> None:
        self._by_class: dict[type, Any] = {}

    def get(self, kind: type[T]) -> T | None:
        return self._by_class.get(kind)

    def setdefault(self, kind: type[T], make: Callable[[], T]) -> T:
        """The part of class ``kind``, made by ``make()`` (and kept) if there is none."""
        part = self._by_class.get(kind)
        if part is None:
            part = self._by_class[kind] = make()
        return part

    def set(self, kind: type[T], part: T) -> None:
        """Put ``part`` (tests: a part built by hand) in place of any other of its class."""
        self._by_class[kind] = part

    def __contains__(self, kind: type) -> bool:
        return kind in self._by_class


class MediaSources:
    """Images the app serves, by URL path prefix: the channels that cannot link to an
    image (WeChat uploads it) fetch its bytes here.

    A feature registers ``register("/code/", getter)``; :meth:`getter` picks the longest
    prefix of the URL.
    """

    def __init__(self) -> None:
        self._getters: dict[str, MediaGetter] = {}

    def register(self, prefix: str, getter: MediaGetter) -> None:
        if not prefix.startswith("/"):
            raise ValueError(f"media prefix must be a URL path, got {prefix!r}")
        self._getters[prefix] = getter

    def getter(self, url: str) -> MediaGetter | None:
        """The getter serving ``url``, or None."""
        best = max((p for p in self._getters if url.startswith(p)), key=len, default=None)
        return self._getters[best] if best is not None else None

    def prefixes(self) -> list[str]:
        return sorted(self._getters)


class LoggedTurn(Protocol):
    """One logged turn (:class:`bot.dialogue.store.TurnRecord`), as the chat history
    shows it."""

    @property
    def inbound(self) -> dict[str, Any]: ...

    @property
    def replies(self) -> list[dict[str, Any]]: ...


class ConversationCache(Protocol):
    """What the hub's users need of the conversation store."""

    async def prefetch(self, user_key: str) -> None:
        """Load (or make) the user's conversation row ahead of their first message."""

    async def recent_turns(self, user_key: str, limit: int = 30) -> Sequence[LoggedTurn]:
        """The user's latest turns, oldest first."""


class DialogueEngine(Protocol):
    """The dialogue engine (:class:`bot.dialogue.engine.Engine`), as channels use it."""

    @property
    def store(self) -> ConversationCache: ...

    async def handle(self, inbound: Inbound) -> list[Reply]: ...


class FlowSource(Protocol):
    """The live flows (:class:`bot.dialogue.flows.registry.FlowRegistry`)."""

    @property
    def flows(self) -> Mapping[str, Any]: ...

    def load(self) -> list[Any]: ...

    async def watch(self, interval: float) -> None: ...


class Interpreter(Protocol):
    """The NLU interpreter (:class:`bot.nlu.base.Interpreter`), as the hub closes it."""

    async def close(self) -> None: ...


@dataclass
class Hub:
    """Shared parts of one process."""

    settings: Settings
    db: Database
    sealer: Sealer
    clock: Clock
    actions: ActionRegistry
    outbox: Outbox
    deliverers: dict[str, Deliverer] = field(default_factory=dict)
    #: images features serve, for channels that upload them (see ``bot.features``)
    media: MediaSources = field(default_factory=MediaSources)
    #: what features build once per process, by class
    parts: Parts = field(default_factory=Parts)
    flows: FlowSource | None = None
    interpreter: Interpreter | None = None
    engine: DialogueEngine | None = None

    def require_engine(self) -> DialogueEngine:
        """The dialogue engine, for callers that only run on a hub with the dialogue.

        Raises:
            RuntimeError: the hub was opened without it (``open_base_hub``).
        """
        if self.engine is None:
            raise RuntimeError("this hub has no dialogue engine (see bot.assembly.open_hub)")
        return self.engine


def base_hub(settings: Settings, *, clock: Clock | None = None) -> Hub:
    """A hub with the base parts only (no action, no dialogue); opens no connection."""
    db = make_database(settings.database_url, pool_size=settings.database_pool_size)
    clock = clock or Clock()
    sealer = Sealer(settings.secret_key, seal_secret=settings.seal.key,
                    previous=settings.seal.previous())
    return Hub(settings=settings, db=db, sealer=sealer, clock=clock,
               actions=ActionRegistry(), outbox=Outbox(db, sealer, clock))


@asynccontextmanager
async def open_base_hub(settings: Settings, *, clock: Clock | None = None
                        ) -> AsyncIterator[Hub]:
    """A :func:`base_hub`, closed afterwards (its interpreter, if one was set, then its
    database). For the whole process, with every feature, see ``bot.assembly.open_hub``."""
    hub = base_hub(settings, clock=clock)
    try:
        yield hub
    finally:
        if hub.interpreter is not None:
            await hub.interpreter.close()
        await hub.db.dispose()
