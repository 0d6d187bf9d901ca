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

from bot.db.models.filings import Filing
from bot.db.models.firms import Firm
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
    """One row per key, sorted by key; ``district`` keeps that district's firms only."""
    group = getattr(Filing, by)
    filed = (sa.select(group.label("key"),
                       sa.func.count(sa.distinct(Filing.uscc)).label("filed"),
                       sa.func.count(sa.distinct(sa.case((Filing.state == "approved",
                                                          Filing.uscc)))).label("approved"))
             .where(Filing.state != "withdrawn").group_by(group))
    register = sa.select(getattr(Firm, by).label("key"), sa.func.count().label("firms")) \
        .group_by(getattr(Firm, by))
    if district is not None:
        filed = filed.where(Filing.district == district)
        register = register.where(Firm.district == district)
    async with hub.db.sessions() as session:
        counts = {r.key: (r.filed, r.approved) for r in await session.execute(filed)}
        firms = {r.key: r.firms for r in await session.execute(register)}
        has_register = firms or await session.scalar(sa.select(Firm.uscc).limit(1))
    if not has_register:  # no register: the firms that filed are the denominator
        firms = {k: f for k, (f, _) in counts.items()}
    return [RateRow(key, firms.get(key, 0), *counts.get(key, (0, 0)))
            for key in sorted(set(firms) | set(counts))]
