"""What the SQL conversation store shares between its ways of reaching the database:
the per-user locks, this process's cache of the conversations it served last, opening
a row's sealed state and sealing a turn's (see :mod:`bot.dialogue.sql_store`)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, NamedTuple

from bot import jsonfast
from bot.actions import RowInsert
from bot.clock import Clock
from bot.db.database import Database
from bot.dialogue.state import State
from bot.dialogue.store import KeyLocks, OpenConversation, TurnRecord
from bot.privacy import Sealer

CACHE_SIZE = 20_000  #: conversations each process remembers between turns


class Loaded(NamedTuple):
    """A conversation row as this process last saw it (state opened, as JSON text)."""

    row_id: int
    version: int
    plain: bytes | None


class Sealed(NamedTuple):
    """A turn's save, sealed: the state (as JSON and sealed) and each turn row's blob."""

    plain: bytes
    state: bytes
    turns: list[tuple[TurnRecord, bytes]]


class StoreCore:
    """The locks, the cache and the sealing of :class:`bot.dialogue.sql_store.SqlStore`."""

    def __init__(self, db: Database, sealer: Sealer, clock: Clock, *,
                 cache_size: int = CACHE_SIZE) -> None:
        self.db = db
        self.sealer = sealer
        self.clock = clock
        self.locks = KeyLocks()  #: one turn at a time per conversation
        #: user_key → the conversation as this process last saw it (least recent first)
        self.cache: OrderedDict[str, Loaded] = OrderedDict()
        self._cache_size = cache_size

    def remember(self, user_key: str, loaded: Loaded) -> None:
        """Keep ``loaded`` as ``user_key``'s conversation (the oldest goes when full)."""
        self.cache[user_key] = loaded
        self.cache.move_to_end(user_key)
        if len(self.cache) > self._cache_size:
            self.cache.popitem(last=False)

    def saved(self, user_key: str, loaded: Loaded, sealed: Sealed) -> None:
        """Remember the conversation as a turn that started from ``loaded`` saved it."""
        self.remember(user_key, Loaded(loaded.row_id, loaded.version + 1, sealed.plain))

    def opened(self, user_key: str, row: Any) -> Loaded:
        """A (id, version, sealed state) row with its state opened."""
        blob = row[2]
        plain = (self.sealer.open_bytes(bytes(blob), context=user_key.encode())
                 if blob else None)
        return Loaded(row[0], row[1], plain)

    @staticmethod
    def conversation(user_key: str, loaded: Loaded) -> OpenConversation:
        """The conversation a turn works on, from ``loaded``."""
        plain = loaded.plain
        state = State.from_json(jsonfast.loads(plain) if plain else None)
        return OpenConversation(user_key, state, plain is None, loaded=plain)

    def seal_turn(self, conv: OpenConversation) -> Sealed:
        """The state and turns sealed; a turn with a receipt key also adds its receipt
        (the replies, sealed) to the rows the save inserts (the channel that gave the
        key deletes its receipts once no retry can come)."""
        plain = jsonfast.dumps(conv.state.to_json())
        state = self.sealer.seal_bytes(plain, context=conv.user_key.encode())
        turns = [(t, self.sealer.seal({"in": t.inbound, "parse": t.parse, "out": t.replies}))
                 for t in conv.turns]
        if conv.receipt and conv.turns:
            conv.inserts.append(RowInsert("turn_receipts", {
                "key": conv.receipt, "sealed": self.sealer.seal(conv.turns[-1].replies),
                "created_at": self.clock.now()}))
        return Sealed(plain, state, turns)
