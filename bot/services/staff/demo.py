"""Demo staff accounts for ``make serve`` (``tongguan demo seed``), one per role.

They share one published password, :data:`DEMO_PASSWORD`: demo data only, never a
deployment (``tongguan staff disable`` them, or never run ``demo seed`` there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.services.staff.accounts import add_account, list_accounts

if TYPE_CHECKING:
    from bot.hub import Hub

DEMO_PASSWORD = "tongguan-demo"
#: (username, role, district)
ACCOUNTS = (("admin", "admin", None), ("officer", "health_officer", None),
            ("reviewer", "reviewer", "jiangan"), ("reviewer2", "reviewer", None),
            ("auditor", "auditor", None), ("operator", "operator", None),
            ("officer_wc", "health_officer", "wuchang"))


async def seed_demo(hub: Hub) -> str:
    """Add the demo accounts that are missing."""
    have = {a.username for a in await list_accounts(hub)}
    added = []
    for username, role, district in ACCOUNTS:
        if username not in have:
            await add_account(hub, username, role, DEMO_PASSWORD, district=district,
                              actor="demo")
            added.append(username)
    return (f"staff: demo accounts {', '.join(u for u, _, _ in ACCOUNTS)} "
            f"(password {DEMO_PASSWORD!r}; {len(added)} new)")
