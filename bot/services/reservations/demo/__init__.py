"""Demo supply: a dozen Wuhan pharmacies (two in each district on the operations map) and
a day's capacity (``tongguan demo seed``)."""

from __future__ import annotations

import contextlib
import csv
from pathlib import Path
from typing import TYPE_CHECKING

from bot.services.reservations.errors import ReservationError
from bot.services.reservations.service import supply_context
from bot.services.reservations.stores import import_stores
from bot.services.reservations.supply import compute_releases, set_capacity
from bot.services.staff.accounts import add_account, list_accounts
from bot.services.staff.demo import DEMO_PASSWORD

if TYPE_CHECKING:
    from bot.hub import Hub

HERE = Path(__file__).parent


async def seed_demo(hub: Hub) -> str:
    """Import the demo stores, set today's capacity and release it (idempotent)."""
    ctx = supply_context(hub)
    stores = await import_stores(ctx, (HERE / "stores.csv").read_text(encoding="utf-8"))
    day = ctx.rules.city_day(ctx.clock.now())
    with (HERE / "capacity.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            with contextlib.suppress(ReservationError):  # already released: keep it
                await set_capacity(ctx, row["product"], day, int(row["quantity"]))
    released = sum(r.released for r in await compute_releases(ctx, day))
    clerk = await _demo_clerk(hub)
    return (f"reservations: {stores} stores, {released} units released for {day}; "
            f"/store login {clerk!r} (password {DEMO_PASSWORD!r})")


async def _demo_clerk(hub: Hub) -> str:
    """A store staff account for the first demo store's /store page."""
    username = "store"
    if all(a.username != username for a in await list_accounts(hub)):
        await add_account(hub, username, "store_staff", DEMO_PASSWORD, store="JA001",
                          actor="demo")
    return username
