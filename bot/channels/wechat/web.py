"""Mounts the channel on the app (``setup(app)``, called by :func:`bot.web.app.init_app`)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from bot.channels.wechat.api import WechatApi
from bot.channels.wechat.callback import WechatChannel
from bot.channels.wechat.deliver import WechatDeliverer
from bot.channels.wechat.media import MediaStore
from bot.channels.wechat.tokens import TokenStore
from bot.config import WechatSettings
from bot.hub import Hub
from bot.web.keys import HUB_KEY, SETTINGS_KEY
from bot.web.ratelimit import LIMITER_KEY

log = logging.getLogger("tongguan.wechat")


@dataclass
class WechatRuntime:
    """The channel's parts in a running app (filled in when the app starts)."""

    channel: WechatChannel | None = None
    api: WechatApi | None = None
    deliverer: WechatDeliverer | None = None


WECHAT_KEY = web.AppKey("wechat", WechatRuntime)


def is_configured(settings: WechatSettings) -> bool:
    return bool(settings.app_id and settings.token)


def build_api(hub: Hub, http: aiohttp.ClientSession) -> WechatApi:
    """An API client sharing the database-backed token with every other process."""
    api = WechatApi(hub.settings.wechat, http)
    api.tokens = TokenStore(hub.db, hub.sealer, hub.clock, hub.settings.wechat.app_id,
                            api.fetch_token)
    return api


def setup(app: web.Application) -> None:
    """Add ``GET``/``POST`` at the callback path, or log once that the channel is off."""
    settings = app[SETTINGS_KEY].wechat
    if not is_configured(settings):
        log.info("wechat.disabled reason=app_id or token not set; %s answers 404",
                 settings.path)
        return
    runtime = WechatRuntime()
    app[WECHAT_KEY] = runtime

    async def verify(request: web.Request) -> web.Response:
        assert runtime.channel is not None
        return await runtime.channel.verify(request)

    async def receive(request: web.Request) -> web.Response:
        assert runtime.channel is not None
        return await runtime.channel.receive(request)

    async def wechat_ctx(app: web.Application) -> AsyncIterator[None]:
        hub = app[HUB_KEY]
        async with aiohttp.ClientSession() as http:
            runtime.api = build_api(hub, http)
            media = MediaStore(hub.db, hub.clock, runtime.api)
            limiter = app.get(LIMITER_KEY)
            runtime.channel = WechatChannel(
                hub, media, nonces=limiter.counters if limiter is not None else None)
            runtime.deliverer = WechatDeliverer(hub, runtime.api, media)
            hub.deliverers["wechat"] = runtime.deliverer
            hub.parts.set(WechatChannel, runtime.channel)  # for the job wechat.recover
            log.info("wechat.enabled path=%s safe_mode=%s", settings.path,
                     bool(settings.aes_key))
            yield
            await runtime.channel.close()
            hub.deliverers.pop("wechat", None)

    app.router.add_get(settings.path, verify)
    app.router.add_post(settings.path, receive)
    app.cleanup_ctx.append(wechat_ctx)
