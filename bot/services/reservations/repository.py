"""The reservation engine's SQL that differs between databases: the interface of its two
variants (``repository_postgres``, ``repository_sqlite``) and what they share.

The engine builds one variant per process (``SupplyContext.repo``, chosen from the
database's dialect once); service code calls its methods and never looks at the dialect.
The variants hold the hot path (one hold in as few statements and round trips as the
database allows: see :meth:`SupplyRepository.take`), the row locks of the background
jobs and admin writes (``FOR UPDATE`` on PostgreSQL; SQLite has one writer at a time) and
the ``INSERT … ON CONFLICT`` construct. Statements are module-level constants:
SQLAlchemy keeps their compiled form, asyncpg its prepared statement, so a hold costs no
SQL building.
"""

from __future__ import annotations

import asyncio
import random
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.db.database import MAX_RETRIES, Database, is_retryable
from bot.db.models.reservations import SupplyRelease, SupplyStore
from bot.services.ops.counters import RESERVED

T = TypeVar("T")

#: Today's release of a product at an active store: (release id, store code, store name).
SLOT = (sa.select(SupplyRelease.id, SupplyStore.code, SupplyStore.name)
        .join(SupplyStore, SupplyStore.id == SupplyRelease.store_id)
        .where(SupplyStore.code == sa.bindparam("code"), SupplyStore.active.is_(True),
               SupplyRelease.product_id == sa.bindparam("pid"),
               SupplyRelease.day == sa.bindparam("day")))
ACTIVE = sa.select(SupplyStore.active).where(SupplyStore.code == sa.bindparam("code"))
#: The household a person counts in (SQL): the resident register's household when the
#: register lists them, else the reserving identity's account key (``:acct``).
HOUSEHOLD_KEY = ("COALESCE((SELECT household FROM residents WHERE id_index = :person), "
                 "CAST(:acct AS VARCHAR))")


def ops_reserved(now: str) -> str:
    """The operations view's count of the hold on release ``:rid`` (under its store's
    district) at ``now`` (the SQL of the hold's time), for the hold's transaction."""
    return ("INSERT INTO ops_events (at, district, street, place, metric, n) "
            f"SELECT {now}, substr(st.district, 1, 40), '', '', '{RESERVED}', 1 "
            "FROM supply_releases rr JOIN supply_stores st ON st.id = rr.store_id "
            "WHERE rr.id = :rid")


#: Where a person's window counts from (read only to word a refusal).
SINCE = sa.text("SELECT since FROM supply_quotas WHERE subject = :person AND product_id = :pid")
#: Where the person's household's window counts from (idem).
SINCE_HOUSEHOLD = sa.text("SELECT since FROM supply_quotas WHERE product_id = :pid AND "
                          "subject = 'hh:' || " + HOUSEHOLD_KEY)


@dataclass(frozen=True)
class Taken:
    """Which steps of a hold applied: ``held`` only when all of them did.

    ``bound``: the person is the identity's own bound ID ("for myself"), or a dependant
    it already reserves for (a proxy), and is bound to no account; when not, nothing
    else was tried (the caller binds or records the dependant, then holds again).
    """

    bound: bool
    quota: bool
    household_ok: bool
    held: bool


#: What the hot path's reads and hold run on: the caller's transaction, or ``None`` for
#: a hold that is its own transaction (see :meth:`SupplyRepository.can_hold_alone`).
Conn = AsyncConnection | AsyncSession | None


class SupplyRepository(ABC):
    """The dialect-specific statements of the reservation engine, for one database.

    A hold checks the binding (the person is the identity's own or a recorded dependant),
    sets the person's quota (a conditional upsert over a rolling window), the household
    member and the household's quota, then takes the stock (``UPDATE … WHERE remaining
    >= q``, the hot row last, so its lock is held only from that statement to
    ``COMMIT``) and writes the reservation row; each step applies only if the previous
    ones did, and the caller raises on any refused step, which rolls the whole
    transaction back.
    """

    #: errors that may end a transaction of :meth:`in_transaction` on a conflict
    conflicts: tuple[type[BaseException], ...] = (DBAPIError,)

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- building blocks of the service's own statements -----------------------------
    @abstractmethod
    def insert(self, table: Any) -> Any:
        """An ``INSERT`` into ``table`` supporting ``on_conflict_do_nothing``/``_update``."""

    @abstractmethod
    def for_update(self, query: sa.Select, *, skip_locked: bool = False,
                   of: Any = None) -> sa.Select:
        """``query`` locking the rows it reads until the transaction ends, where the
        database has row locks (``skip_locked``: rows another transaction holds are
        left out, so several workers can claim work at once)."""

    @abstractmethod
    async def get_for_update(self, session: AsyncSession, model: Any, key: Any) -> Any:
        """``session.get(model, key)``, locking the row where the database can."""

    # -- the hot path ------------------------------------------------------------------
    @abstractmethod
    def can_hold_alone(self) -> bool:
        """Whether a hold can be its own transaction in its leanest form (``conn=None``
        below); otherwise run it in :meth:`in_transaction`."""

    async def find_slot(self, conn: Conn, code: str, product_id: int, day: date) -> Any:
        """Today's release of ``product_id`` at an active store ``code``: a row
        (release id, store code, store name), or None."""
        assert conn is not None  # the variants read on their own connection for None
        return (await conn.execute(SLOT, {"code": code, "pid": product_id, "day": day})).first()

    async def store_active(self, conn: Conn, code: str) -> bool:
        """Whether the store ``code`` exists and is open."""
        assert conn is not None
        return bool((await conn.execute(ACTIVE, {"code": code})).scalar())

    async def read_one(self, conn: Conn, stmt: sa.TextClause, params: dict[str, Any]) -> Any:
        """The first row of a plain read (``None`` for no row), in ``conn``'s
        transaction, or on a connection of its own for ``None``. Dates come back as
        :class:`date` or ISO text, by database (see :func:`as_date`)."""
        assert conn is not None
        return (await conn.execute(stmt, params)).first()

    async def window_since(self, conn: Conn, p: dict[str, Any], *,
                           household: bool = False) -> date | None:
        """Where the person's (or their household's) window of product ``p["pid"]``
        counts from, or None; ``p`` as for :meth:`take`. Read to word a refusal only."""
        keys = ("person", "pid", "acct") if household else ("person", "pid")
        row = await self.read_one(conn, SINCE_HOUSEHOLD if household else SINCE,
                                  {k: p[k] for k in keys})
        return None if row is None else as_date(row[0])

    @abstractmethod
    async def take(self, conn: AsyncConnection | None, p: dict[str, Any],
                   groups: list[str]) -> Taken:
        """Apply the hold described by ``p`` (see ``holds.place_hold``) on ``conn``, or
        as its own transaction (``None``), committed here only if every step applied.
        ``groups``: the priority groups to look the person up in."""

    def _writer_lock(self) -> asyncio.Lock | None:
        """A lock this process's writers queue on, where the database has one writer."""
        return None

    def _retryable(self, err: BaseException) -> bool:
        return isinstance(err, DBAPIError) and is_retryable(err)

    async def in_transaction(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run ``work`` in one Core transaction; conflicts roll it back whole and run it
        again."""
        lock = self._writer_lock()
        for attempt in range(MAX_RETRIES):
            try:
                if lock is None:
                    async with self.db.engine.begin() as conn:
                        return await work(conn)
                async with lock, self.db.engine.begin() as conn:
                    return await work(conn)
            except self.conflicts as err:
                if attempt == MAX_RETRIES - 1 or not self._retryable(err):
                    raise
                await asyncio.sleep(random.uniform(0.002, 0.01) * (2 ** attempt))
        raise AssertionError("unreachable")


def as_date(value: Any) -> date:
    """A date read back: PostgreSQL gives a :class:`date`, SQLite its ISO text."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
