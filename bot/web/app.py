"""The aiohttp application factory.

Every feature of ``bot/features.py`` contributes web modules, each exposing
``setup(app)``: it adds routes (and, when it owns background work, a ``cleanup_ctx``).
Handlers reach shared parts through ``request.app[HUB_KEY]``; the hub is opened by the
first cleanup context, which also starts this process's job runner (the features'
background jobs, ``bot/services/jobs/``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from aiohttp import web

from bot.assembly import open_hub
from bot.clock import Clock
from bot.config import Settings
from bot.features import FEATURES, Feature
from bot.services.jobs import JobRunner
from bot.web.keys import BACKGROUND_KEY, HUB_KEY, JOB_RUNNER_KEY, SETTINGS_KEY, WEB_MODULES_KEY
from bot.web.middlewares import error_middleware
from bot.web.ratelimit import limiter_ctx
from bot.web.request_id import request_id_middleware

log = logging.getLogger("tongguan.web")

MAX_BODY_BYTES = 256 * 1024


def init_app(settings: Settings, *, clock: Clock | None = None, background: bool = True,
             features: Sequence[Feature] = FEATURES) -> web.Application:
    """Build the application; ``background=False`` leaves workers off (tests drive them)."""
    app = web.Application(middlewares=[request_id_middleware, error_middleware],
                          client_max_size=MAX_BODY_BYTES)
    app[SETTINGS_KEY] = settings
    app[BACKGROUND_KEY] = background

    async def hub_ctx(app: web.Application) -> AsyncIterator[None]:
        async with open_hub(settings, clock=clock, features=features) as hub:
            app[HUB_KEY] = hub
            runner = None
            if background:
                runner = JobRunner(hub, [job for feature in features for job in feature.jobs],
                                   cluster=settings.jobs.enabled)
                app[JOB_RUNNER_KEY] = runner
                task = asyncio.create_task(runner.run_forever())
            yield
            if runner is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app.cleanup_ctx.append(hub_ctx)
    app.cleanup_ctx.append(limiter_ctx)
    modules = tuple(module for feature in features if feature.web is not None
                    for module in feature.web())
    app[WEB_MODULES_KEY] = modules
    for module in modules:
        module.setup(app)
    return app
