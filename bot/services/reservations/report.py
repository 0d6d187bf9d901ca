"""Read-only views: the open stock feed, the status table and the conservation check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from bot.db.models.reservations import (
    SupplyProduct,
    SupplyRelease,
    SupplyReservation,
    SupplyStock,
    SupplyStore,
)
from bot.services.reservations.context import SupplyContext

REL, RES = SupplyRelease, SupplyReservation


@dataclass(frozen=True)
class StockRow:
    store: str
    store_name: str
    district: str
    lat: float
    lng: float
    product: str
    released: int
    remaining: int
    updated_at: datetime

    def to_json(self) -> dict[str, object]:
        return {"store": self.store, "store_name": self.store_name, "district": self.district,
                "lat": self.lat, "lng": self.lng, "product": self.product,
                "released": self.released, "remaining": self.remaining,
                "updated_at": self.updated_at.isoformat()}


async def stock_feed(ctx: SupplyContext, day: date) -> list[StockRow]:
    """Per store and product: released, remaining and when it last changed, for ``day``."""
    query = (sa.select(SupplyStore.code, SupplyStore.name, SupplyStore.district,
                       SupplyStore.lat, SupplyStore.lng, SupplyProduct.code, REL.released,
                       REL.remaining, REL.updated_at)
             .join(REL, REL.store_id == SupplyStore.id)
             .join(SupplyProduct, SupplyProduct.id == REL.product_id)
             .where(REL.day == day).order_by(SupplyStore.code, SupplyProduct.code))
    async with ctx.db.sessions() as session:
        return [StockRow(*row) for row in (await session.execute(query)).all()]


def _by_status(status: str) -> sa.ScalarSelect[int]:
    return (sa.select(sa.func.coalesce(sa.func.sum(RES.quantity), 0))
            .where(RES.release_id == REL.id, RES.status == status).scalar_subquery())


@dataclass(frozen=True)
class Balance:
    """One release's books: ``released == active + redeemed + expired + remaining``."""

    store: str
    product: str
    day: date
    released: int
    active: int
    redeemed: int
    expired: int
    remaining: int

    @property
    def balanced(self) -> bool:
        return self.released == self.active + self.redeemed + self.expired + self.remaining


async def balances(ctx: SupplyContext, day: date | None = None) -> list[Balance]:
    """The books of every release (of ``day`` when given)."""
    query = (sa.select(SupplyStore.code, SupplyProduct.code, REL.day, REL.released,
                       _by_status("active"), _by_status("redeemed"), _by_status("expired"),
                       REL.remaining)
             .join(SupplyStore, SupplyStore.id == REL.store_id)
             .join(SupplyProduct, SupplyProduct.id == REL.product_id)
             .order_by(REL.day, SupplyStore.code, SupplyProduct.code))
    if day is not None:
        query = query.where(REL.day == day)
    async with ctx.db.sessions() as session:
        return [Balance(*row) for row in (await session.execute(query)).all()]


async def status(ctx: SupplyContext, day: date) -> list[dict[str, object]]:
    """Per product for ``day``: stores, released, remaining, held, redeemed, expired, on hand."""
    out = []
    books = await balances(ctx, day)
    async with ctx.db.sessions() as session:
        stock = dict((await session.execute(sa.select(SupplyProduct.code, SupplyStock.on_hand)
                                            .join(SupplyStock))).all())
    for code in sorted(ctx.rules.products):
        mine = [b for b in books if b.product == code]
        out.append({"product": code, "stores": len(mine),
                    "released": sum(b.released for b in mine),
                    "remaining": sum(b.remaining for b in mine),
                    "active": sum(b.active for b in mine),
                    "redeemed": sum(b.redeemed for b in mine),
                    "expired": sum(b.expired for b in mine),
                    "on_hand": stock.get(code, 0),
                    "balanced": all(b.balanced for b in mine)})
    return out
