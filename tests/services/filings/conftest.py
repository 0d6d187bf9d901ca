"""Fixtures of the filing tests: the whole app on SQLite and PostgreSQL, a fixed clock,
a resident session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from filing_support import START

from bot.clock import FixedClock
from bot.config import Settings
from bot.hub import Hub
from bot.services.filings import Filings, filings
from bot.web.app import init_app
from bot.web.auth import create_session
from bot.web.keys import HUB_KEY


@dataclass
class Api:
    client: Any
    resident: dict[str, str]  #: bearer headers of a resident session
    user_id: str
    hub: Hub
    clock: FixedClock

    @property
    def ctx(self) -> Filings:
        return filings(self.hub)

    async def new_resident(self) -> tuple[dict[str, str], str]:
        token, user_id = await create_session(self.hub)
        return {"Authorization": f"Bearer {token}"}, user_id


@pytest.fixture
async def api(settings: Settings, aiohttp_client: Any, tmp_path: Path) -> AsyncIterator[Api]:
    clock = FixedClock(START)
    client = await aiohttp_client(init_app(settings, clock=clock, background=False))
    hub = client.server.app[HUB_KEY]
    token, user_id = await create_session(hub)
    yield Api(client, {"Authorization": f"Bearer {token}"}, user_id, hub, clock)
