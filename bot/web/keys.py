"""Typed application keys shared by the web modules."""

from aiohttp import web

from bot.config import Settings
from bot.features import WebModule
from bot.hub import Hub

HUB_KEY = web.AppKey("hub", Hub)
SETTINGS_KEY = web.AppKey("settings", Settings)

#: False when the app was built with ``background=False``: features start no workers.
BACKGROUND_KEY = web.AppKey("background", bool)

#: The web modules mounted, in order (the OpenAPI document gathers their paths).
WEB_MODULES_KEY: web.AppKey[tuple[WebModule, ...]] = web.AppKey("web_modules", tuple)
