"""Typed application keys shared by the web modules."""

from typing import Protocol

from aiohttp import web

from bot.config import Settings
from bot.hub import Hub
from bot.services.jobs import JobRunner


class WebModule(Protocol):
    """A module of web routes: ``setup(app)`` adds them (and any ``cleanup_ctx``); its
    ``OPENAPI_PATHS`` / ``OPENAPI_SCHEMAS``, when it has them, go into the OpenAPI
    document (``bot/web/openapi.py``)."""

    def setup(self, app: web.Application) -> None: ...


HUB_KEY = web.AppKey("hub", Hub)
SETTINGS_KEY = web.AppKey("settings", Settings)

#: False when the app was built with ``background=False``: features start no workers.
BACKGROUND_KEY = web.AppKey("background", bool)

#: The web modules mounted, in order (the OpenAPI document gathers their paths).
WEB_MODULES_KEY: web.AppKey[tuple[WebModule, ...]] = web.AppKey("web_modules", tuple)

#: This process's job runner (absent when the app was built with ``background=False``).
JOB_RUNNER_KEY = web.AppKey("job_runner", JobRunner)
