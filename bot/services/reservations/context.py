"""What every part of the engine shares: database, sealer, clock, outbox, rules, catalog."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.database import Database
from bot.db.dialects import choose
from bot.db.models.reservations import SupplyProduct, SupplyStore
from bot.privacy import Sealer
from bot.services.outbox import Outbox
from bot.services.reservations.errors import NotFound, ReservationError
from bot.services.reservations.repository import Conn, SupplyRepository
from bot.services.reservations.repository_postgres import PostgresSupplyRepository
from bot.services.reservations.repository_sqlite import SqliteSupplyRepository
from bot.services.reservations.rules import ProductRule, Rules

if TYPE_CHECKING:
    from bot.hub import Hub


@dataclass
class SupplyContext:
    """Shared parts of the reservation engine (built once per process)."""

    db: Database
    sealer: Sealer
    clock: Clock
    outbox: Outbox
    rules: Rules
    #: the process's hub: binding an ID number to a chat identity uses the declarations'
    #: trust rules and settings (``declarations.max_dependants``); see :mod:`.binding`
    hub: Hub | None = field(default=None, repr=False)
    #: the engine's SQL for this database (chosen from its dialect once, here)
    repo: SupplyRepository = field(init=False, repr=False)
    _products: dict[str, int] | None = field(default=None, repr=False)
    #: (store code, product id, day) → (release id, store code, store name); ids never
    #: change, and whether the store is open is checked by the hold statement itself.
    _slots: dict[tuple[str, int, date], tuple[int, str, str]] = field(default_factory=dict,
                                                                       repr=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    def __post_init__(self) -> None:
        self.repo = choose(self.db, postgresql=PostgresSupplyRepository,
                           sqlite=SqliteSupplyRepository)(self.db)

    async def product_ids(self) -> dict[str, int]:
        """Product code → row id; the rules' products are written to the table once."""
        if self._products is None:
            async with self._lock:
                if self._products is None:
                    self._products = await self.db.retrying(self._sync_products)
        return self._products

    async def _sync_products(self, session: AsyncSession) -> dict[str, int]:
        for rule in self.rules.products.values():
            values = dict(code=rule.code, name_zh=rule.name["zh"], name_en=rule.name["en"],
                          unit=rule.unit["en"], pack_size=rule.pack_size)
            stmt = self.repo.insert(SupplyProduct).values(**values)
            await session.execute(stmt.on_conflict_do_update(
                index_elements=["code"], set_={k: v for k, v in values.items() if k != "code"}))
        rows = await session.execute(sa.select(SupplyProduct.code, SupplyProduct.id))
        return {code: pid for code, pid in rows.all()}

    async def product(self, code: str) -> tuple[ProductRule, int]:
        """The rule and row id of a product code.

        Raises:
            NotFound: no such product in the rules.
        """
        rule = self.rules.product(str(code or "").strip().lower())
        if rule is None:
            raise NotFound("unknown_product", "没有这种物资。", "There is no such product.")
        return rule, (await self.product_ids())[rule.code]

    async def slot(self, conn: Conn, store: str, product_id: int,
                   day: date) -> tuple[int, str, str] | None:
        """Today's release of ``product_id`` at an active ``store`` (cached once found),
        read in ``conn``'s transaction, or on a connection of its own for ``None``."""
        key = (store, product_id, day)
        found = self._slots.get(key)
        if found is None:
            row = await self.repo.find_slot(conn, store, product_id, day)
            if row is None:
                return None
            if len(self._slots) > 50_000 or any(k[2] != day for k in list(self._slots)[:1]):
                self._slots.clear()
            found = self._slots[key] = (row[0], row[1], row[2])
        return found

    def forget_stores(self) -> None:
        """Drop cached store names (after an import)."""
        self._slots.clear()

    async def store(self, session: AsyncSession, code: str) -> SupplyStore:
        store = (await session.scalars(sa.select(SupplyStore).where(
            SupplyStore.code == str(code or "").strip()))).first()
        if store is None or not store.active:
            raise NotFound("unknown_store", "没有这家药店，或它暂停营业。",
                           "There is no such store, or it is closed for now.")
        return store

    def next_opening(self, now: datetime) -> datetime:
        """When reservations next open (today's opening if still ahead, else tomorrow's)."""
        day = self.rules.city_day(now)
        today = self.rules.at(day, self.rules.opens_at)
        return today if now < today else self.rules.at(day + timedelta(days=1),
                                                       self.rules.opens_at)

    def check_open(self, now: datetime) -> date:
        """Today's city day when reservations are open now.

        Raises:
            ReservationError: ``not_open``, with the next opening time.
        """
        day = self.rules.city_day(now)
        if self.rules.at(day, self.rules.opens_at) <= now < self.rules.at(day,
                                                                          self.rules.closes_at):
            return day
        nxt = self.next_opening(now).astimezone(self.rules.tz)
        raise ReservationError(
            "not_open", f"现在不在预约时间内，下次开放：{nxt:%m月%d日 %H:%M}。",
            f"Reservations are closed now; they open again {nxt:%b %d %H:%M}.",
            next_open=nxt.isoformat())


def local(ctx: SupplyContext, moment: datetime) -> datetime:
    """``moment`` in city time (for texts)."""
    return moment.astimezone(ctx.rules.tz)
