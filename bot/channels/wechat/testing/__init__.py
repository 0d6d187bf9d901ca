"""Test doubles speaking WeChat's real wire format: the API fake and the callback emulator."""

from bot.channels.wechat.testing.emulator import Delivery, WechatEmulator
from bot.channels.wechat.testing.fake_api import FakeWechatApi

__all__ = ["Delivery", "FakeWechatApi", "WechatEmulator"]
