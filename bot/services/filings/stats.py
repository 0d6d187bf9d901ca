"""What the city sees: the resumption rate by district or industry.

``firms`` is the firm register's count for the key when a register is loaded, else the
number of firms (distinct USCCs) that filed; ``filed`` counts firms with a filing that
was not withdrawn, ``approved`` firms with an approved one; ``rate`` = approved / firms.
Filings count under their own district and industry, register firms under theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa

from bot.db.models.firms import FirmRegisterCount, ResumptionCount
from bot.hub import Hub

By = Literal["district", "industry"]
BY: tuple[By, ...] = ("district", "industry")


@dataclass(frozen=True)
class RateRow:
    key: str
    firms: int
    filed: int
    approved: int

    @property
    def rate(self) -> float:
        return round(self.approved / self.firms, 4) if self.firms else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "firms": self.firms, "filed": self.filed,
                "approved": self.approved, "rate": self.rate}


async def resumption_rate(hub: Hub, by: By, *, district: str | None = None) -> list[RateRow]:
    """One row per key, sorted by key; ``district`` keeps that district's firms only.

    Reads the counters :mod:`bot.services.filings.progress` keeps (a few dozen rows),
    never the filings themselves.
    """
    key = getattr(ResumptionCount, by)
    filed = sa.select(key.label("key"), sa.func.sum(ResumptionCount.filed).label("filed"),
                      sa.func.sum(ResumptionCount.approved).label("approved")).group_by(key)
    reg_key = getattr(FirmRegisterCount, by)
    register = sa.select(reg_key.label("key"),
                         sa.func.sum(FirmRegisterCount.firms).label("firms")).group_by(reg_key)
    if district is not None:
        filed = filed.where(ResumptionCount.district == district)
        register = register.where(FirmRegisterCount.district == district)
    async with hub.db.sessions() as session:
        counts = {r.key: (int(r.filed), int(r.approved)) for r in await session.execute(filed)
                  if r.filed or r.approved}
        firms = {r.key: int(r.firms) for r in await session.execute(register)}
        has_register = firms or await session.scalar(
            sa.select(FirmRegisterCount.firms).limit(1))
    if not has_register:  # no register: the firms that filed are the denominator
        firms = {k: f for k, (f, _) in counts.items()}
    return [RateRow(k, firms.get(k, 0), *counts.get(k, (0, 0)))
            for k in sorted(set(firms) | set(counts))]
