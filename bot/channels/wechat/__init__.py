"""The WeChat Official Account channel: callback, dedupe, push, API client, test doubles."""

from bot.channels.wechat.api import WechatApi
from bot.channels.wechat.callback import WechatChannel
from bot.channels.wechat.deliver import WechatDeliverer
from bot.channels.wechat.errors import ApiError, CallbackRejected, WechatError
from bot.channels.wechat.users import (
    last_location,
    push_allowed,
    set_location_consent,
    stop_pushes,
)
from bot.channels.wechat.wire import Envelope

__all__ = ["ApiError", "CallbackRejected", "Envelope", "WechatApi", "WechatChannel",
           "WechatDeliverer", "WechatError", "last_location", "push_allowed",
           "set_location_consent", "stop_pushes"]
