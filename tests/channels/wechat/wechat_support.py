"""Helpers of the WeChat channel tests: throw-away databases, settings, a served app with
the channel mounted and a stub engine, and emulators pointed at it."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import os
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import create_async_engine

from bot.assembly import open_hub
from bot.channels.wechat.testing import WechatEmulator
from bot.config import Settings, load_settings
from bot.db.migrate import upgrade
from bot.hub import Hub
from bot.messages import Inbound, Reply
from bot.web.keys import HUB_KEY, SETTINGS_KEY

PG_ENV = "TONGGUAN_TEST_POSTGRES_URL"
APP_ID = "wx5f2a9c3e7d1b4a60"
APP_SECRET = "c0ffee" * 5 + "ab"
TOKEN = "tongguan-callback-token"


@contextlib.asynccontextmanager
async def temporary_database(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated, throw-away database URL of ``kind`` (sqlite or postgres)."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'wechat.db'}"
        await asyncio.to_thread(upgrade, url)
        yield url
        return
    admin = os.environ.get(PG_ENV)
    if not admin:
        pytest.skip(f"{PG_ENV} not set: PostgreSQL tests did not run")
    name = f"tongguan_test_{secrets.token_hex(6)}"
    engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = admin.rsplit("/", 1)[0] + "/" + name
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        async with engine.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await engine.dispose()


def make_settings(db_url: str, api_base: str, **wechat: Any) -> Settings:
    settings = load_settings(path=Path("/nonexistent.yml"),
                             env={"TONGGUAN_SECRET_KEY": "s" * 40})
    wechat.setdefault("aes_key", base64.b64encode(secrets.token_bytes(32)).decode().rstrip("="))
    return dataclasses.replace(settings, database_url=db_url, secret_key="s" * 40,
                               wechat=dataclasses.replace(
                                   settings.wechat, app_id=APP_ID, app_secret=APP_SECRET,
                                   token=TOKEN, api_base=api_base, **wechat))


class StubEngine:
    """Stands in for the dialogue engine: echoes, or runs ``script(inbound)``."""

    def __init__(self) -> None:
        self.seen: list[Inbound] = []
        self.delay = 0.0
        self.script: Callable[[Inbound], list[Reply]] | None = None

    async def handle(self, inbound: Inbound) -> list[Reply]:
        self.seen.append(inbound)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.script is not None:
            return self.script(inbound)
        said = inbound.text or inbound.value or inbound.kind
        return [Reply.say(f"echo:{said}")]


def channel_app(settings: Settings, engine: Any | None = None) -> web.Application:
    """An app like ``init_app`` builds, with the channel, a hub and ``engine``."""
    from bot.channels.wechat import web as wechat_web

    app = web.Application()
    app[SETTINGS_KEY] = settings

    async def hub_ctx(app: web.Application) -> AsyncIterator[None]:
        async with open_hub(settings, with_dialogue=False) as hub:
            hub.engine = engine  # type: ignore[assignment]
            app[HUB_KEY] = hub
            yield

    app.cleanup_ctx.append(hub_ctx)
    wechat_web.setup(app)
    return app


@dataclasses.dataclass
class Running:
    """A served app with its hub, stub engine and an emulator factory."""

    server: TestServer
    hub: Hub
    engine: StubEngine
    settings: Settings

    def url(self) -> str:
        return str(self.server.make_url(self.settings.wechat.path))

    def client(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession()

    def emulator(self, mode: str | None = None, **kw: Any) -> WechatEmulator:
        """An emulated WeChat; by default plaintext when the server has no EncodingAESKey,
        else compatible mode (a server with a key refuses plaintext)."""
        w = self.settings.wechat
        mode = mode or ("compat" if w.aes_key else "plain")
        return WechatEmulator(self.url(), token=w.token, app_id=w.app_id,
                              aes_key=w.aes_key or None, mode=mode,  # type: ignore[arg-type]
                              **kw)


@contextlib.asynccontextmanager
async def serve(settings: Settings, engine: StubEngine | None = None) -> AsyncIterator[Running]:
    engine = engine or StubEngine()
    server = TestServer(channel_app(settings, engine))
    await server.start_server()
    try:
        yield Running(server, server.app[HUB_KEY], engine, settings)  # type: ignore[index]
    finally:
        await server.close()


