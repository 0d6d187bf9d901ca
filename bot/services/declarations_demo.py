"""Demo data for health codes: three declarations (green, yellow, red) in Wuhan, the demo
city (``bot/services/ops/wuhan.geo.json``), idempotent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.services.declarations import Person, declarations, declare
from bot.services.declarations.store import latest_status

if TYPE_CHECKING:
    from bot.hub import Hub

DEMO_OWNER = "demo:declarations"  #: accounts demo:declarations-1, -2, -3
#: Made-up people; the ID numbers carry valid GB 11643 check digits.
PEOPLE = (
    (Person("张三明", "11010519491231002X", None), {"district": "jiangan",
                                                   "street": "花桥街一村社区",
                                                   "temperature": 36.5, "symptoms": ["none"],
                                                   "travel": ["none"], "contact": False,
                                                   "quarantine": "free"}),
    (Person("李四", "110105194912310038", None), {"district": "wuchang", "street": "中南路街",
                                                 "temperature": 37.8, "symptoms": ["cough"],
                                                 "travel": ["none"], "contact": False,
                                                 "quarantine": "free"}),
    (Person("王五", "110105195001010012", None), {"district": "hongshan", "street": "珞南街",
                                                 "temperature": 36.6, "symptoms": ["none"],
                                                 "travel": ["none"], "contact": True,
                                                 "quarantine": "home"}),
)


async def seed_demo(hub: Hub) -> str:
    """Declare for the demo people once; prints their live-page links."""
    svc = declarations(hub)
    if await latest_status(svc, owner_key=f"{DEMO_OWNER}-1"):
        return "declarations: demo codes already present"
    lines = []
    for i, (person, answers) in enumerate(PEOPLE, start=1):
        # each "for myself", so each from an account of their own (an ID is bound to it)
        out = await declare(svc, person=person, answers=answers, user_key=f"{DEMO_OWNER}-{i}",
                            proxy=False)
        lines.append(f"  {out.assessment.color:6} {out.masked_name} "
                     f"{hub.settings.public_url}/code/{out.token}")
    return "declarations: demo codes\n" + "\n".join(lines)
