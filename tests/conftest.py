"""Shared fixtures: throw-away databases on SQLite and PostgreSQL, settings, app client.

``TONGGUAN_TEST_POSTGRES_URL`` names a server where databases may be created (for
example ``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``). Without it the
PostgreSQL cases are skipped with a plain message — except in CI (``CI=true``), where a
missing PostgreSQL is a failure.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.db.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
PG_ENV = "TONGGUAN_TEST_POSTGRES_URL"
TEST_SECRET = "test-secret-0123456789abcdef0123456789abcdef"


def postgres_admin_url() -> str | None:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{PG_ENV} is not set in CI: the PostgreSQL suite must run")
        pytest.skip(f"PostgreSQL suite not run: set {PG_ENV}")
    return url


async def _pg_admin(url: str, sql: str) -> None:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_pg_database() -> tuple[str, str]:
    """Create ``tongguan_test_<xdist worker>_<random>``; returns (its URL, the admin URL).

    Under pytest-xdist every worker (``gw0``, ``gw1``, ...) names its own databases, so
    parallel workers and concurrent runs never share one."""
    admin = postgres_admin_url()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"tongguan_test_{worker}_{secrets.token_hex(6)}"
    try:
        asyncio.run(_pg_admin(admin, f'CREATE DATABASE "{name}"'))
    except OSError as err:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL unreachable in CI: {err}")
        pytest.skip(f"PostgreSQL suite not run: {err}")
    base = admin.rsplit("/", 1)[0]
    return f"{base}/{name}", admin


def drop_pg_database(url: str, admin: str) -> None:
    name = url.rsplit("/", 1)[1]
    asyncio.run(_pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: SQLite file or a throw-away PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        upgrade(url)
        yield url
        return
    url, admin = create_pg_database()
    try:
        upgrade(url)
        yield url
    finally:
        drop_pg_database(url, admin)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A migrated throw-away PostgreSQL database (for concurrency tests)."""
    url, admin = create_pg_database()
    try:
        upgrade(url)
        yield url
    finally:
        drop_pg_database(url, admin)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    upgrade(url)
    return url


def make_settings(database_url: str, tmp_path: Path, **overrides: object) -> Settings:
    """Test settings: repo flows and intents, a temp key folder, no reload polling."""
    base = load_settings(ROOT / "config.yml", env={})
    values: dict[str, object] = dict(
        database_url=database_url, secret_key=TEST_SECRET, flows_dir=ROOT / "flows",
        intents_dir=ROOT / "intents", keys_dir=tmp_path / "keys", flows_reload_seconds=0.0,
        public_url="http://testserver",
        # A scripted conversation sends more than a resident could type in a minute; the
        # per-session turn limit has its own tests (tests/web/test_abuse_limits.py).
        rate_limits=dataclasses.replace(base.rate_limits, chat_turns_per_minute=0))
    values.update(overrides)
    return dataclasses.replace(base, **values)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
async def client(settings: Settings, aiohttp_client) -> AsyncIterator[object]:  # type: ignore[no-untyped-def]
    """An aiohttp test client on the whole app (background workers off)."""
    from bot.web.app import init_app

    yield await aiohttp_client(init_app(settings, background=False))
