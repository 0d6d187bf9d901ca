"""Admin lists: priority group members, and re-running recorded lottery draws."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.reservations import SupplyDraw, SupplyPriority, SupplyRelease, SupplyStore
from bot.services.reservations.context import SupplyContext
from bot.services.reservations.identity import normalize_id
from bot.services.reservations.lottery import draw_winners


async def add_priority(ctx: SupplyContext, group: str, id_numbers: list[str]) -> int:
    """Add people (by ID number, stored only as a blind index) to a group; all or none."""
    keys = {ctx.sealer.blind_index("id_number", normalize_id(n)) for n in id_numbers if n}

    async def work(session: AsyncSession) -> int:
        for key in keys:
            await session.execute(ctx.repo.insert(SupplyPriority).values(
                person_key=key, group=group).on_conflict_do_nothing())
        return len(keys)

    return await ctx.db.retrying(work)


async def verify_draws(ctx: SupplyContext, day: date) -> list[dict[str, object]]:
    """Every draw of ``day`` re-run from its seed; ``reproduced`` says if winners match."""
    async with ctx.db.sessions() as session:
        rows = (await session.execute(
            sa.select(SupplyDraw, SupplyStore.code)
            .join(SupplyRelease, SupplyRelease.id == SupplyDraw.release_id)
            .join(SupplyStore, SupplyStore.id == SupplyRelease.store_id)
            .where(SupplyRelease.day == day))).all()
    out = []
    for draw, store in rows:
        again = draw_winners(draw.seed, [(e[0], e[1]) for e in draw.entries], draw.supply)
        out.append({"store": store, "seed": draw.seed, "supply": draw.supply,
                    "entries": len(draw.entries), "winners": draw.winners,
                    "reproduced": again == draw.winners})
    return out
