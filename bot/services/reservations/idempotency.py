"""``Idempotency-Key`` support: the first answer to a key is stored (sealed) and replayed."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.reservations import SupplyIdempotency
from bot.services.reservations.context import SupplyContext

MAX_KEY = 200


@dataclass(frozen=True)
class Stored:
    status: int
    body_hash: str
    response: dict[str, Any]


def key_hash(ctx: SupplyContext, user_id: str, key: str) -> str:
    return ctx.sealer.blind_index("idempotency-key", f"{user_id}\x00{key}")


def body_hash(ctx: SupplyContext, body: object) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return ctx.sealer.blind_index("idempotency-body", canonical)


async def recall(ctx: SupplyContext, khash: str) -> Stored | None:
    async with ctx.db.sessions() as session:
        row = (await session.scalars(sa.select(SupplyIdempotency).where(
            SupplyIdempotency.key_hash == khash))).first()
    if row is None:
        return None
    sealed = base64.b64decode(row.response["sealed"])
    return Stored(row.status, row.body_hash, ctx.sealer.open(sealed))


async def remember(ctx: SupplyContext, khash: str, bhash: str, status: int,
                   response: dict[str, Any], session: AsyncSession | None = None) -> None:
    """Store an answer; inside ``session`` a duplicate key fails the transaction (on purpose),
    on its own a duplicate is ignored (the first answer wins)."""
    values = dict(key_hash=khash, body_hash=bhash, status=status,
                  response={"sealed": base64.b64encode(ctx.sealer.seal(response)).decode()},
                  created_at=ctx.clock.now())
    if session is not None:
        await session.execute(sa.insert(SupplyIdempotency).values(**values))
        return
    async with ctx.db.sessions.begin() as own:
        await own.execute(ctx.repo.insert(SupplyIdempotency).values(**values)
                          .on_conflict_do_nothing())
