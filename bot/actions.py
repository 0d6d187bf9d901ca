"""Registered actions: the only way a flow reaches business logic.

A flow names an action (``action: records.save``); services register a coroutine
under that name at start-up. An action gets an :class:`ActionContext` and returns an
:class:`ActionResult`; to tell the user something went wrong it raises
:class:`~bot.errors.ActionError` (the flow then stays where it was).

An action that writes can hand its rows back as :class:`RowInsert` instead of writing
them itself: they are then inserted in the same statement as the conversation's save,
so they exist exactly when the turn does (no lock, nothing half-written, never twice).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.errors import TongguanError
from bot.messages import Reply


@dataclass(frozen=True)
class ActionContext:
    """What an action may read: the conversation's answers and who is asking."""

    user_key: str  #: "channel:user_id"
    channel: str
    user_id: str
    lang: str  #: "zh" or "en"
    flow_id: str
    slots: Mapping[str, Any]  #: answers so far (read-only view)
    params: Mapping[str, Any]  #: the step's ``params`` from the flow file
    now: datetime
    #: unique to this message and step when the channel may deliver the message twice
    #: (else empty): an action committing writes of its own records its outcome under it
    #: in that transaction (:mod:`bot.services.receipts`), so a run again never writes
    #: twice
    receipt: str = ""


@dataclass(frozen=True)
class RowInsert:
    """A row to insert together with the turn's save: written if and only if the turn
    is. ``table`` is a table of the schema; ``values`` hold plain values (ints, text,
    bytes, aware datetimes, booleans, None) by column name."""

    table: str
    values: Mapping[str, Any]


@dataclass
class ActionResult:
    """What an action hands back: slots to set, replies to send, rows to insert with the
    save."""

    slots: dict[str, Any] = field(default_factory=dict)
    replies: list[Reply] = field(default_factory=list)
    inserts: list[RowInsert] = field(default_factory=list)


ActionFn = Callable[[ActionContext], Awaitable[ActionResult]]


class UnknownActionError(TongguanError):
    """A flow named an action nobody registered."""


@dataclass(frozen=True)
class ActionSpec:
    """A registered action with what it promises to set (for flow validation)."""

    name: str
    fn: ActionFn
    description: str = ""
    sets: frozenset[str] = frozenset()  #: slot names this action may set
    #: False: the action changes nothing by itself (it reads, or hands back inserts),
    #: so the turn need not lock its conversation first
    needs_lock: bool = True
    #: True: it only reads, so a flow preview runs it for real (else a stand-in)
    preview: bool = False


class ActionRegistry:
    """Name → action. Built once at start-up by the services, then read-only."""

    def __init__(self) -> None:
        self._actions: dict[str, ActionSpec] = {}

    def register(self, name: str, fn: ActionFn, *, description: str = "",
                 sets: frozenset[str] | set[str] = frozenset(),
                 needs_lock: bool = True, preview: bool = False) -> None:
        """Register ``fn`` as ``name``. Pass ``needs_lock=False`` only for an action
        that changes nothing itself when it runs twice (it reads, fills a cache
        idempotently, or returns its writes as :class:`RowInsert`): its turn then skips
        the conversation lock (on PostgreSQL three round trips). Pass ``preview=True``
        for one that only reads and writes nothing at all (not even inserts): a flow
        preview then runs it for real instead of a stand-in."""
        if name in self._actions:
            raise ValueError(f"action {name!r} registered twice")
        self._actions[name] = ActionSpec(name, fn, description, frozenset(sets), needs_lock,
                                         preview)

    def __contains__(self, name: object) -> bool:
        return name in self._actions

    def get(self, name: str) -> ActionSpec:
        try:
            return self._actions[name]
        except KeyError:
            raise UnknownActionError(f"no action named {name!r}") from None

    def names(self) -> list[str]:
        return sorted(self._actions)
