"""WeChat messages and events → what the channel does with them (the engine never sees XML)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from wechatpy.messages import BaseMessage

from bot.messages import Inbound, Location

Effect = Literal["", "subscribe", "unsubscribe", "location"]

#: The channel's own short answers, per language.
CANNED: dict[str, dict[str, str]] = {
    "please_type": {"zh": "抱歉，没能听清这条语音，请直接打字告诉我。",
                    "en": "Sorry, I couldn't make out that voice message. Please type it."},
    "image_ack": {"zh": "图片已收到。如需办理业务，请发送文字，例如“健康申报”。",
                  "en": "Got your picture. To get something done, please send text, "
                        "e.g. \"health declaration\"."},
    "fallback": {"zh": "暂时只能处理文字、语音和位置消息，请发送文字。",
                 "en": "I can only handle text, voice and location messages for now. "
                       "Please send text."},
    "busy": {"zh": "系统繁忙，请稍后再试。", "en": "The service is busy, please try again later."},
}


@dataclass(frozen=True)
class Action:
    """What to do with one message: run a turn, answer a canned text, and/or a side effect."""

    inbound: Inbound | None = None
    canned: str = ""  #: key of :data:`CANNED`
    effect: Effect = ""
    location: Location | None = None  #: for the ``location`` effect


def dedupe_key(msg: BaseMessage) -> str:
    """MsgId for messages; FromUserName + CreateTime for events (WeChat's advice).

    The event name and key are added: a retry repeats them, and two different events of
    one user in the same second (subscribe, then a menu tap) must not collapse into one.
    """
    if msg.type != "event" and msg.id:
        return f"m:{msg.id}"
    key = msg._data.get("EventKey") or ""
    return f"e:{msg.source}:{msg.time}:{getattr(msg, 'event', msg.type)}:{key}"


def _inbound(msg: BaseMessage, **fields: Any) -> Inbound:
    return Inbound(channel="wechat", user_id=msg.source, message_id=dedupe_key(msg),
                   **fields)


def _float(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]  # any XML value: TypeError means None
    except (TypeError, ValueError):
        return None


def translate(msg: BaseMessage) -> Action:
    """Map one parsed WeChat message or event to an :class:`Action`."""
    kind = msg.type
    if kind == "text":
        return Action(inbound=_inbound(msg, kind="text", text=(msg.content or "").strip()))
    if kind == "voice":
        said = (msg.recognition or "").strip()
        if said:
            return Action(inbound=_inbound(msg, kind="text", text=said))
        return Action(canned="please_type")
    if kind == "location":
        lat, lng = _float(msg.location_x), _float(msg.location_y)
        if lat is None or lng is None:
            return Action(canned="fallback")
        where = Location(lat, lng, msg.label or "")
        return Action(inbound=_inbound(msg, kind="location", location=where))
    if kind == "image":
        return Action(canned="image_ack")
    if kind in ("link", "video", "shortvideo", "miniprogrampage"):
        return Action(canned="fallback")
    if kind != "event":
        return Action()
    event = getattr(msg, "event", "")
    if event == "subscribe":
        return Action(inbound=_inbound(msg, kind="welcome"), effect="subscribe")
    if event in ("subscribe_scan", "scan"):
        scene = str(getattr(msg, "scene_id", "") or "")
        start = _inbound(msg, kind="start", trigger="scene", value=scene)
        return Action(inbound=start, effect="subscribe" if event == "subscribe_scan" else "")
    if event == "click":
        key = str(getattr(msg, "key", "") or "")
        return Action(inbound=_inbound(msg, kind="start", trigger="menu", value=key))
    if event == "unsubscribe":
        return Action(effect="unsubscribe")
    if event == "location":
        lat, lng = _float(msg.latitude), _float(msg.longitude)
        if lat is None or lng is None:
            return Action()
        return Action(effect="location", location=Location(lat, lng))
    return Action()  # VIEW, template-send reports, anything unknown: `success`
