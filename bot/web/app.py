"""The aiohttp application factory.

Feature modules each expose ``setup(app)``: they add routes (and, when they own
background work, a ``cleanup_ctx``). Handlers reach shared parts through
``request.app[HUB_KEY]``; the hub is opened by the first cleanup context.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from bot.clock import Clock
from bot.config import Settings
from bot.hub import open_hub
from bot.web.keys import BACKGROUND_KEY, HUB_KEY, SETTINGS_KEY
from bot.web.middlewares import error_middleware

log = logging.getLogger("tongguan.web")

#: Feature modules mounted when present, in this order.
FEATURE_MODULES = (
    "bot.web.health",
    "bot.web.chat_api",
    "bot.web.chat_page",
    "bot.web.openapi",
    "bot.web.codes_pages",
    "bot.web.codes_api",
    "bot.web.reservations",
    "bot.channels.wechat.web",
)

MAX_BODY_BYTES = 256 * 1024


def init_app(settings: Settings, *, clock: Clock | None = None,
             background: bool = True) -> web.Application:
    """Build the application; ``background=False`` leaves workers off (tests drive them)."""
    app = web.Application(middlewares=[error_middleware], client_max_size=MAX_BODY_BYTES)
    app[SETTINGS_KEY] = settings
    app[BACKGROUND_KEY] = background

    async def hub_ctx(app: web.Application) -> AsyncIterator[None]:
        async with open_hub(settings, clock=clock) as hub:
            app[HUB_KEY] = hub
            tasks: list[asyncio.Task[None]] = []
            if background:
                tasks.append(asyncio.create_task(hub.flows.watch(settings.flows_reload_seconds)))
                from bot.services.outbox import OutboxWorker

                worker = OutboxWorker(hub.outbox, hub.deliverers, settings.outbox_poll_seconds)
                tasks.append(asyncio.create_task(worker.run_forever()))
            yield
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app.cleanup_ctx.append(hub_ctx)
    for name in FEATURE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name is not None and name.startswith(err.name):
                continue
            raise
        module.setup(app)
    return app
