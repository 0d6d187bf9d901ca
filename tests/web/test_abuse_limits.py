"""Abuse limits (issue 17 §3): clear 429s with Retry-After, shared through Redis, 0 turns
a limit off; and start-up refuses the development secret outside development."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from staff_support import PASSWORD

from bot.config import DEV_SECRET_KEY, Settings, check_deployable, load_settings
from bot.errors import ConfigError
from bot.services.staff import add_account
from bot.web.app import init_app
from bot.web.auth import create_session
from bot.web.keys import HUB_KEY
from tests.conftest import ROOT, TEST_SECRET

REDIS_URL = "redis://127.0.0.1:6379/0"


def limited(settings: Settings, **limits: object) -> Settings:
    """The shipped limits (the test settings turn the turn limit off), then ``limits``."""
    shipped = load_settings(ROOT / "config.yml", env={}).rate_limits
    return dataclasses.replace(settings, rate_limits=dataclasses.replace(
        shipped, client_address_header="X-Test-Client", **limits))


def address() -> dict[str, str]:
    """A client address of its own: tests (and parallel runs) never share a count."""
    return {"X-Test-Client": f"198.51.{secrets.randbelow(255)}.{secrets.token_hex(4)}"}


async def test_a_burst_of_300_sessions_meets_429s_with_the_defaults(
        settings: Settings, aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(init_app(limited(settings), background=False))
    me = address()
    results = await asyncio.gather(*[client.post("/api/v1/sessions", headers=me)
                                     for _ in range(300)])
    statuses = [r.status for r in results]
    assert statuses.count(201) >= 100  # generous: many residents share one NAT address
    refused = [r for r in results if r.status == 429]
    assert refused, "a script's burst must be stopped"
    body = await refused[0].json()
    assert body["error"] == "rate_limited" and body["message_zh"] and body["message"]
    assert int(refused[0].headers["Retry-After"]) >= 1
    other = await client.post("/api/v1/sessions", headers=address())
    assert other.status == 201  # another address is not affected


async def test_zero_turns_a_limit_off(settings: Settings, aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(init_app(limited(settings, sessions_per_minute=0),
                                           background=False))
    me = address()
    statuses = [(await client.post("/api/v1/sessions", headers=me)).status for _ in range(30)]
    off = await aiohttp_client(init_app(limited(settings, sessions_per_minute=3,
                                                enabled=False), background=False))
    statuses += [(await off.post("/api/v1/sessions", headers=me)).status for _ in range(10)]
    assert set(statuses) == {201}


async def test_chat_turns_per_session(settings: Settings, aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(init_app(limited(settings, chat_turns_per_minute=3),
                                           background=False))
    hub = client.server.app[HUB_KEY]
    one, _ = await create_session(hub)
    two, _ = await create_session(hub)
    statuses = [(await client.post("/api/v1/chat", json={"text": "你好"}, headers={
        "Authorization": f"Bearer {one}"})).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    other = await client.post("/api/v1/chat", json={"text": "你好"},
                              headers={"Authorization": f"Bearer {two}"})
    assert other.status == 200


async def test_verify_per_address(settings: Settings, aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(init_app(limited(settings, verify_per_minute=2),
                                           background=False))
    me = address()
    statuses = [(await client.post("/api/v1/verify", json={"code": "TG1:XX"},
                                   headers=me)).status for _ in range(3)]
    assert statuses == [200, 200, 429]


async def test_staff_logins_per_account_and_per_address(
        settings: Settings, aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(init_app(
        limited(settings, staff_logins_per_minute=2, staff_logins_per_address_per_minute=4),
        background=False))
    hub = client.server.app[HUB_KEY]
    await add_account(hub, "limit.admin", "admin", PASSWORD)
    await add_account(hub, "limit.other", "admin", PASSWORD)
    good = {"username": "limit.admin", "password": PASSWORD}
    # per account: from two addresses, the third attempt in a minute is refused
    first = await client.post("/api/v1/staff/sessions", json=good, headers=address())
    second = await client.post("/api/v1/staff/sessions", json=good, headers=address())
    third = await client.post("/api/v1/staff/sessions", json=good, headers=address())
    assert (first.status, second.status, third.status) == (200, 200, 429)
    assert "Retry-After" in third.headers
    # per address: one address trying many accounts
    me = address()
    statuses = [(await client.post("/api/v1/staff/sessions", json={
        "username": f"guess{i}", "password": "wrong password"}, headers=me)).status
        for i in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    other = await client.post("/api/v1/staff/sessions", json={
        "username": "limit.other", "password": PASSWORD}, headers=address())
    assert other.status == 200


async def test_paper_code_requests_per_resident(settings: Settings, aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(init_app(limited(settings, paper_codes_per_hour=2),
                                           background=False))
    statuses = [(await client.post("/code/not-a-token/paper")).status for _ in range(3)]
    assert statuses == [404, 404, 429]  # counted per code page, found or not


async def test_redis_shares_the_count_between_processes(
        settings: Settings, aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    import redis.asyncio as redis

    try:
        await redis.Redis.from_url(REDIS_URL).ping()
    except (OSError, redis.ConnectionError) as err:
        pytest.skip(f"no Redis at {REDIS_URL}: {err}")
    shared = limited(settings, sessions_per_minute=3, redis_url=REDIS_URL)
    one = await aiohttp_client(init_app(shared, background=False))
    two = await aiohttp_client(init_app(shared, background=False))
    me = address()
    statuses = [(await c.post("/api/v1/sessions", headers=me)).status
                for c in (one, two, one, two)]
    assert statuses == [201, 201, 201, 429]


def test_the_development_secret_is_refused_outside_development() -> None:
    dev = load_settings(ROOT / "config.yml", env={})
    assert dev.secret_key == DEV_SECRET_KEY  # what a fresh clone's make serve runs on
    with pytest.raises(ConfigError) as info:
        check_deployable(dev, env={})
    assert info.value.key == "secret_key" and "TONGGUAN_SECRET_KEY" in str(info.value)
    check_deployable(dev, env={"TONGGUAN_ENV": "development"})
    prod = dataclasses.replace(dev, secret_key=TEST_SECRET)
    check_deployable(prod, env={})
    with pytest.raises(ConfigError) as info:
        check_deployable(dataclasses.replace(prod, admin_token=TEST_SECRET), env={})
    assert info.value.key == "admin_token"
    with pytest.raises(ConfigError):
        check_deployable(dataclasses.replace(prod, admin_token=DEV_SECRET_KEY), env={})


def test_serve_stops_on_the_development_secret(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
           "TONGGUAN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
           "TONGGUAN_KEYS_DIR": str(tmp_path / "keys"), "TONGGUAN_LOG_LEVEL": "ERROR"}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "serve", "--port", "1"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "secret_key" in result.stderr and "TONGGUAN_ENV=development" in result.stderr
