"""Where conversation state lives, behind a small interface (memory or SQL).

``async with store.open(user_key) as conv:`` takes the per-conversation lock, then
loads the state (never before the lock), lets the engine change ``conv.state``, and on
a clean exit saves it together with the turn log. An exception saves nothing.

A store may load optimistically (a cached copy, no row lock) and find at the save that
another process changed the conversation meanwhile: it then raises
:class:`StaleConversation` and the engine runs the turn again on the fresh state. That
is only safe while the turn has changed nothing else, so before any other write (an
action, a handoff, a profile) the engine calls :meth:`OpenConversation.exclusive`,
which locks the conversation for the rest of the turn (or raises
:class:`StaleConversation` at once when the loaded copy is already out of date).
"""

from __future__ import annotations

import asyncio
import copy
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from bot import jsonfast
from bot.actions import RowInsert
from bot.dialogue.state import State
from bot.errors import TongguanError


class StaleConversation(TongguanError):
    """Another process changed the conversation after this turn loaded it: run the
    turn again (nothing of it was written)."""


@dataclass
class TurnRecord:
    """What one handled message did (for the audit log)."""

    inbound: dict[str, Any]
    parse: dict[str, Any] | None
    replies: list[dict[str, Any]]
    flow_id: str | None = None
    intent: str | None = None


@dataclass
class OpenConversation:
    """A loaded conversation under its lock."""

    user_key: str
    state: State
    is_new: bool
    turns: list[TurnRecord] = field(default_factory=list)
    #: rows to insert in the same transaction as the save (see bot.actions.RowInsert)
    inserts: list[RowInsert] = field(default_factory=list)
    #: the state as loaded, as JSON text (None for a new conversation)
    loaded: bytes | None = None
    #: the store's hook that locks the conversation for the rest of the turn
    lock: Callable[[], Awaitable[None]] | None = None
    #: the message's receipt key (``Inbound.receipt``): the save writes the receipt with
    #: the last turn's replies, in its transaction
    receipt: str = ""

    def log(self, turn: TurnRecord) -> None:
        self.turns.append(turn)

    def restore(self) -> State:
        """A fresh copy of the state as it was loaded (to undo a failed turn)."""
        return State.from_json(jsonfast.loads(self.loaded) if self.loaded else None)

    async def exclusive(self) -> None:
        """Make sure no other process can change this conversation until the save;
        call it before the turn writes anything else. Idempotent."""
        lock, self.lock = self.lock, None
        if lock is not None:
            await lock()


class ConversationStore(ABC):
    """Load → handle → save, one conversation at a time."""

    @abstractmethod
    def open(self, user_key: str) -> Any:
        """An async context manager yielding an :class:`OpenConversation`."""

    @abstractmethod
    async def recent_turns(self, user_key: str, limit: int = 30) -> list[TurnRecord]:
        """The latest turns, oldest first (for handoff transcripts)."""

    async def prefetch(self, user_key: str) -> None:
        """Get the conversation ready ahead of the user's first message (a store that
        reads or creates rows may do it now, off that message's path). Optional."""
        return None

    async def receipt(self, key: str) -> list[dict[str, Any]] | None:
        """The replies (as JSON) of the turn saved with receipt ``key``, or None when no
        turn with it was saved (or it expired)."""
        return None


class KeyLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    async def acquire(self, key: str) -> asyncio.Lock:
        """Wait for ``key``'s lock and take it; give it back with :meth:`release`."""
        held = self._locks.get(key)
        lock, users = held if held is not None else (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            await lock.acquire()
        except BaseException:  # cancelled while waiting: no longer a user
            self._drop(key)
            raise
        return lock

    def release(self, key: str, lock: asyncio.Lock) -> None:
        """Give back the lock :meth:`acquire` took."""
        lock.release()
        self._drop(key)

    def _drop(self, key: str) -> None:
        lock, users = self._locks[key]
        if users <= 1:
            del self._locks[key]
        else:
            self._locks[key] = (lock, users - 1)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = await self.acquire(key)
        try:
            yield
        finally:
            self.release(key, lock)


class MemoryStore(ConversationStore):
    """State in a dict: for tests and the terminal chat without a database."""

    def __init__(self) -> None:
        self._data: dict[str, dict[str, Any]] = {}
        self._turns: dict[str, list[TurnRecord]] = {}
        self.inserted: list[RowInsert] = []  #: rows saved with turns, in order
        self._receipts: dict[str, list[dict[str, Any]]] = {}
        self._locks = KeyLocks()

    @asynccontextmanager
    async def open(self, user_key: str) -> AsyncIterator[OpenConversation]:
        async with self._locks.hold(user_key):
            raw = self._data.get(user_key)
            conv = OpenConversation(user_key, State.from_json(copy.deepcopy(raw)), raw is None,
                                    loaded=jsonfast.dumps(raw) if raw else None)
            yield conv
            self._data[user_key] = copy.deepcopy(conv.state.to_json())
            self._turns.setdefault(user_key, []).extend(conv.turns)
            self.inserted.extend(conv.inserts)
            if conv.receipt and conv.turns:
                self._receipts[conv.receipt] = copy.deepcopy(conv.turns[-1].replies)

    async def receipt(self, key: str) -> list[dict[str, Any]] | None:
        return copy.deepcopy(self._receipts.get(key))

    async def recent_turns(self, user_key: str, limit: int = 30) -> list[TurnRecord]:
        return self._turns.get(user_key, [])[-limit:]
