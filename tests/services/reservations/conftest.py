"""Fixtures of the reservation tests: a hub on SQLite and PostgreSQL with demo supply."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.actions import ActionRegistry
from bot.clock import CITY_TZ, FixedClock
from bot.config import load_settings
from bot.db.database import make_database
from bot.hub import Hub
from bot.privacy import Sealer
from bot.services.outbox import Outbox
from bot.services.reservations import (
    SupplyContext,
    compute_releases,
    import_stores,
    load_rules,
    set_capacity,
)
from bot.services.reservations.service import supply_context
from bot.web.auth import create_session
from bot.web.keys import HUB_KEY
from bot.web.reservations import BACKGROUND_KEY

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "bot" / "services" / "reservations" / "demo"
SECRET = "test-secret-0123456789abcdef0123456789abcdef"
#: Tuesday 4 February 2020, 09:00 in Shanghai: reservations are open.
START = datetime(2020, 2, 4, 9, 0, tzinfo=CITY_TZ)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START.astimezone(UTC))


@pytest.fixture
async def supply_hub(database_url: str, tmp_path: Path, clock: FixedClock) -> AsyncIterator[Hub]:
    settings = dataclasses.replace(load_settings(ROOT / "config.yml", env={}),
                                   database_url=database_url, secret_key=SECRET,
                                   keys_dir=tmp_path / "keys")
    db = make_database(settings.database_url)
    sealer = Sealer(settings.secret_key)
    # Built by hand (as open_hub does) so other services' work in progress cannot break us.
    hub = Hub(settings=settings, db=db, sealer=sealer, clock=clock, actions=ActionRegistry(),
              outbox=Outbox(db, sealer, clock))
    try:
        yield hub
    finally:
        await db.dispose()


async def stock_up(sc: SupplyContext, capacity: dict[str, int] | None = None) -> None:
    """Demo stores, the given capacity for today, releases computed."""
    await import_stores(sc, (DEMO / "stores.csv").read_text(encoding="utf-8"))
    day = sc.rules.city_day(sc.clock.now())
    for product, qty in (capacity or {"mask-adult": 600, "mask-child": 120,
                                      "disinfectant": 300}).items():
        await set_capacity(sc, product, day, qty)
    await compute_releases(sc, day)


@pytest.fixture
async def sc(supply_hub: Hub) -> SupplyContext:
    """The engine with demo stores and today's releases (rules from supply_rules.yml)."""
    ctx = supply_context(supply_hub, load_rules(ROOT / "supply_rules.yml"))
    await stock_up(ctx)
    return ctx


@pytest.fixture
async def postgres_sc(postgres_url: str, tmp_path: Path,
                      clock: FixedClock) -> AsyncIterator[SupplyContext]:
    """The engine with demo supply on a throw-away PostgreSQL database (concurrency tests)."""
    settings = dataclasses.replace(load_settings(ROOT / "config.yml", env={}),
                                   database_url=postgres_url, secret_key=SECRET,
                                   keys_dir=tmp_path / "keys")
    db = make_database(postgres_url, pool_size=16)  # ≤ 32 connections: leave room
    sealer = Sealer(SECRET)
    hub = Hub(settings=settings, db=db, sealer=sealer, clock=clock, actions=ActionRegistry(),
              outbox=Outbox(db, sealer, clock))
    ctx = supply_context(hub, load_rules(ROOT / "supply_rules.yml"))
    await stock_up(ctx)
    try:
        yield ctx
    finally:
        await db.dispose()


@pytest.fixture
async def api(database_url: str, tmp_path: Path, aiohttp_client) -> AsyncIterator[tuple]:  # type: ignore[no-untyped-def]
    from bot.web.app import init_app

    settings = dataclasses.replace(load_settings(ROOT / "config.yml", env={}),
                                   database_url=database_url, secret_key=SECRET,
                                   keys_dir=tmp_path / "keys", flows_reload_seconds=0.0)
    clock = FixedClock(START)
    app = init_app(settings, clock=clock, background=False)
    app[BACKGROUND_KEY] = False
    client = await aiohttp_client(app)
    hub = app[HUB_KEY]
    sc = supply_context(hub)
    await stock_up(sc)
    token, _ = await create_session(hub)
    yield client, {"Authorization": f"Bearer {token}"}, sc, clock
