"""Fixtures of the WeChat channel tests (SQLite and PostgreSQL via ``db_url``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from wechat_support import (
    APP_ID,
    APP_SECRET,
    Running,
    make_settings,
    serve,
    temporary_database,
)

from bot.channels.wechat.testing import FakeWechatApi
from bot.config import Settings


@pytest.fixture(params=["sqlite", "postgres"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with temporary_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def pg_url(tmp_path: Path) -> AsyncIterator[str]:
    async with temporary_database("postgres", tmp_path) as url:
        yield url


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeWechatApi]:
    fake = FakeWechatApi(APP_ID, APP_SECRET)
    fake.base_url = await fake.start()  # type: ignore[attr-defined]
    yield fake
    await fake.stop()


@pytest.fixture
def settings(request: pytest.FixtureRequest, db_url: str, fake_api: FakeWechatApi) -> Settings:
    """A test parametrized with ``mode="plain"`` gets a server without an EncodingAESKey:
    with one, the server refuses plaintext callbacks (safe mode)."""
    params = getattr(request.node, "callspec", None)
    plain = params is not None and params.params.get("mode") == "plain"
    extra = {"aes_key": ""} if plain else {}
    return make_settings(db_url, fake_api.base_url, **extra)  # type: ignore[attr-defined]


@pytest.fixture
async def running(settings: Settings) -> AsyncIterator[Running]:
    async with serve(settings) as run:
        yield run
