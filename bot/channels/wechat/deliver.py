"""The outbox deliverer: pushes replies through the customer-service message API."""

from __future__ import annotations

import logging

from bot.channels.wechat.api import WechatApi
from bot.channels.wechat.errors import (
    INVALID_MEDIA,
    OUT_OF_WINDOW,
    QUOTA_ERRORS,
    USER_REFUSED,
    ApiError,
)
from bot.channels.wechat.media import MediaStore, fetch_media
from bot.channels.wechat.users import push_allowed
from bot.hub import Hub
from bot.messages import Reply
from bot.services.outbox import DeliveryError

log = logging.getLogger("tongguan.wechat")


def retryable(err: ApiError) -> bool:
    """Whether trying again later may help (not for the 48-hour window, quotas, refusals)."""
    return err.errcode != OUT_OF_WINDOW and err.errcode not in QUOTA_ERRORS | USER_REFUSED


class WechatDeliverer:
    """``hub.deliverers["wechat"]``: text and image messages to one follower."""

    channel = "wechat"

    def __init__(self, hub: Hub, api: WechatApi, media: MediaStore) -> None:
        self.hub = hub
        self.api = api
        self.media = media

    async def deliver(self, user_id: str, replies: list[Reply]) -> None:
        """Send ``replies`` in order.

        Raises:
            DeliveryError: ``retry=False`` when the user unfollowed, is outside the
            48-hour window, or a quota is used up; ``retry=True`` for passing trouble;
            ``sent``: the replies that went out before it (not sent again).
        """
        if not await push_allowed(self.hub.db, user_id):
            raise DeliveryError("user unfollowed or turned pushes off", retry=False,
                                code="unfollowed")
        for sent, reply in enumerate(replies):
            try:
                if reply.type == "image":
                    await self._image(user_id, reply)
                elif text := reply.as_plain_text():
                    await self.api.send_text(user_id, text)
            except ApiError as err:
                if err.errcode == OUT_OF_WINDOW:
                    log.info("wechat.push.out_of_window")
                elif err.errcode in QUOTA_ERRORS:
                    log.warning("wechat.push.quota errcode=%s", err.errcode)
                raise DeliveryError(str(err), retry=retryable(err), code=str(err.errcode),
                                    sent=sent) from err

    async def _image(self, user_id: str, reply: Reply) -> None:
        data = await fetch_media(self.hub.media, reply.url)
        if data is None:
            if reply.text:
                await self.api.send_text(user_id, reply.text)
            return
        media_id = await self.media.media_id(data)
        try:
            await self.api.send_image(user_id, media_id)
        except ApiError as err:
            if err.errcode == INVALID_MEDIA:  # expired early at WeChat: upload again
                await self.media.forget(media_id)
            raise
