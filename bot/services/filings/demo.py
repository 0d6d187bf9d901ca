"""Demo filings for ``make serve``: a firm register of 30 Wuhan firms and a dozen filings
in every state, so the reviewer queue, the rates and the report show something."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from stdnum.cn import uscc as stdnum_uscc

from bot.db.models.filings import Filing
from bot.services.filings.catalog import DISTRICTS, INDUSTRIES
from bot.services.filings.context import filings
from bot.services.filings.firms import import_firms
from bot.services.filings.review import decide
from bot.services.filings.service import submit

if TYPE_CHECKING:
    from bot.hub import Hub

DEMO_OWNER = "demo:filings"
FIRMS = 30
_DISTRICTS = [d.value for d in DISTRICTS if d.value != "other"]
_INDUSTRIES = [i.value for i in INDUSTRIES if i.value != "other"]
#: the filings: (firm number, decision or None, masks days, staff from risk areas)
FILINGS = ((1, "approve", 14, 0), (2, "approve", 21, 0), (3, "approve", 10, 0),
           (4, "approve", 30, 0), (5, "approve", 9, 0), (6, "approve", 12, 0),
           (7, "return", 3, 0), (8, "return", 14, 4), (9, "reject", 2, 6),
           (10, None, 5, 0), (11, None, 14, 2), (12, None, 20, 0))
ORIGINS = ((("湖北", "武汉", 35), ("河南", "信阳", 12)), (("湖北", "孝感", 18),),
           (("湖南", "岳阳", 9), ("湖北", "武汉", 20)))


def uscc(n: int) -> str:
    first = f"91420100MA4K{n:05d}"
    return first + stdnum_uscc.calc_check_digit(first + "0")


def _body(ctx_today: Any, n: int, masks: int, risk: int) -> dict[str, Any]:
    origins = ORIGINS[n % len(ORIGINS)]
    returning = sum(c for _, _, c in origins)
    return {
        "firm_name": f"武汉示范企业{n:02d}号", "uscc": uscc(n),
        "industry": _INDUSTRIES[n % len(_INDUSTRIES)],
        "district": _DISTRICTS[n % len(_DISTRICTS)], "street": "示范街道",
        "address": f"示范路 {n} 号", "contact_name": "王小明", "contact_phone": "13800000000",
        "staff_total": returning + 20, "staff_returning": returning,
        "staff_origins": [{"province": p, "city": c, "count": k} for p, c, k in origins],
        "staff_risk_14d": risk, "isolation_rooms": 0 if risk else 1,
        "prevention_lead": "李防疫",
        "supplies_days": {"masks": masks, "thermometers": 30, "disinfectant": 14},
        "planned_start": (ctx_today + timedelta(days=3 + n % 5)).isoformat(),
        "capacity_percent": 60, "needs": ["raw_materials", "logistics"][: 1 + n % 2],
        "pledge": True}


async def seed_demo(hub: Hub) -> str:
    """Load the demo register and file the demo filings once."""
    ctx = filings(hub)
    register = "".join(f"{uscc(n)},武汉示范企业{n:02d}号,{_INDUSTRIES[n % len(_INDUSTRIES)]},"
                       f"{_DISTRICTS[n % len(_DISTRICTS)]}\n" for n in range(1, FIRMS + 1))
    await import_firms(hub, register)
    async with hub.db.sessions() as session:
        if await session.scalar(sa.select(Filing.id).where(
                Filing.user_key.startswith(DEMO_OWNER)).limit(1)) is not None:
            return f"filings: {FIRMS} demo firms, demo filings already present"
    for n, decision, masks, risk in FILINGS:
        row = await submit(ctx, _body(ctx.today(), n, masks, risk),
                           user_key=f"{DEMO_OWNER}-{n}", lang="zh", notify=False)
        if decision is not None and row.state == "submitted":
            reason = {"approve": "材料齐全，同意复工。", "return": "请补充防疫物资储备说明。",
                      "reject": "风险地区返岗人员无隔离条件。"}[decision]
            await decide(ctx, row.id, decision, reason, actor="staff:reviewer2", scope=None)
    return (f"filings: {FIRMS} demo firms, {len(FILINGS)} filings "
            "(reviewer pages at /review: reviewer / reviewer2)")
