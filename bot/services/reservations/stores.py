"""Stores: CSV import (all or nothing, bad rows reported by line) and the nearest list."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.reservations import SupplyRelease, SupplyStore
from bot.services.reservations.context import SupplyContext
from bot.services.reservations.errors import ImportProblem, InvalidInput
from bot.services.reservations.geo import check_point, distance_km

REQUIRED = ("code", "name", "address", "district", "lat", "lng")
MAX_ROWS = 50_000


def parse_stores_csv(text: str, ctx: SupplyContext) -> list[dict[str, object]]:
    """Rows of a stores CSV as column dicts.

    Raises:
        ImportProblem: any bad row (each reported with its line); then nothing is imported.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportProblem([(1, "missing column(s): " + ", ".join(missing))])
    reader.fieldnames = header
    rows, problems, seen = [], [], set()
    for row in reader:
        line = reader.line_num
        if None in row or any(v is None for v in row.values()):
            problems.append((line, "wrong number of columns"))
            continue
        data = {k: (v or "").strip() for k, v in row.items()}
        empty = [c for c in REQUIRED if not data[c]]
        if empty:
            problems.append((line, "empty " + ", ".join(empty)))
            continue
        if data["code"] in seen:
            problems.append((line, f"duplicate code {data['code']}"))
            continue
        try:
            lat, lng = check_point(data["lat"], data["lng"], ctx.rules.center,
                                   ctx.rules.radius_km)
            weight = float(data.get("weight") or 1)
            if not 0 < weight < 1e7:
                raise ValueError
        except InvalidInput as err:
            problems.append((line, f"{err.en} ({data['lat']}, {data['lng']})"))
            continue
        except ValueError:
            problems.append((line, f"weight must be a positive number, got {data['weight']!r}"))
            continue
        if len(data["code"]) > 40 or len(data["name"]) > 120 or len(data["address"]) > 200:
            problems.append((line, "a field is too long"))
            continue
        seen.add(data["code"])
        rows.append(dict(code=data["code"], name=data["name"], address=data["address"],
                         district=data["district"], lat=lat, lng=lng, weight=weight,
                         opening_hours=data.get("opening_hours") or "", active=True))
        if len(rows) > MAX_ROWS:
            problems.append((line, f"more than {MAX_ROWS} rows"))
            break
    if problems:
        raise ImportProblem(problems)
    return rows


async def import_stores(ctx: SupplyContext, text: str) -> int:
    """Insert or update every store of the CSV in one transaction; returns the row count."""
    rows = parse_stores_csv(text, ctx)

    async def work(session: AsyncSession) -> int:
        for row in rows:
            stmt = ctx.repo.insert(SupplyStore).values(**row)
            await session.execute(stmt.on_conflict_do_update(
                index_elements=["code"], set_={k: v for k, v in row.items() if k != "code"}))
        return len(rows)

    count = await ctx.db.retrying(work)
    ctx.forget_stores()
    return count


@dataclass(frozen=True)
class NearStore:
    code: str
    name: str
    address: str
    district: str
    distance_km: float | None
    remaining: int
    released: int

    @property
    def level(self) -> str:
        """``plenty`` / ``some`` / ``few`` / ``none`` for a quick read."""
        if self.remaining <= 0:
            return "none"
        share = self.remaining / max(self.released, 1)
        return "plenty" if share > 0.5 else "some" if share > 0.2 else "few"


async def nearest(ctx: SupplyContext, product_id: int, day: date, *,
                  point: tuple[float, float] | None = None, place: str = "",
                  with_stock: bool = True) -> list[NearStore]:
    """Active stores with a release today, nearest first (or matching a typed district/address)."""
    query = (sa.select(SupplyStore, SupplyRelease.remaining, SupplyRelease.released)
             .join(SupplyRelease, SupplyRelease.store_id == SupplyStore.id)
             .where(SupplyStore.active.is_(True), SupplyRelease.product_id == product_id,
                    SupplyRelease.day == day))
    if with_stock:
        query = query.where(SupplyRelease.remaining > 0)
    text = place.strip().lower()
    if point is None and text:
        like = f"%{text}%"
        query = query.where(sa.or_(sa.func.lower(SupplyStore.district).like(like),
                                   sa.func.lower(SupplyStore.address).like(like),
                                   sa.func.lower(SupplyStore.name).like(like)))
    async with ctx.db.sessions() as session:
        rows = (await session.execute(query)).all()
    found = [NearStore(s.code, s.name, s.address, s.district,
                       distance_km(point[0], point[1], s.lat, s.lng) if point else None,
                       remaining, released) for s, remaining, released in rows]
    if point is not None:
        found = [f for f in found if f.distance_km is not None
                 and f.distance_km <= ctx.rules.max_km]
        found.sort(key=lambda f: (f.distance_km, f.code))
    else:
        found.sort(key=lambda f: (-f.remaining, f.code))
    return found[:ctx.rules.max_stores]
