"""What every channel hands the engine (:class:`Inbound`) and gets back (:class:`Reply`).

Both are plain frozen dataclasses that round-trip through JSON, so turns can be logged
and replies can wait in the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

InboundKind = Literal["text", "location", "start", "welcome"]
ReplyType = Literal["text", "image", "link", "options"]


@dataclass(frozen=True)
class Location:
    """A shared location (WeChat location message or the web chat's share)."""

    lat: float
    lng: float
    label: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"lat": self.lat, "lng": self.lng, "label": self.label}


@dataclass(frozen=True)
class Inbound:
    """One message from a user, whatever the channel.

    ``kind`` is ``text`` (typed, or a tapped option: ``text`` holds its value),
    ``location``, ``start`` (a menu key / QR scene / deep link asks to start
    something: ``trigger`` and ``value`` say what) or ``welcome`` (a new follower).
    """

    channel: str
    user_id: str
    kind: InboundKind = "text"
    text: str = ""
    location: Location | None = None
    trigger: str = ""  #: for ``start``: ``menu``, ``scene`` or ``flow``
    value: str = ""  #: for ``start``: the menu key, scene string or flow id
    message_id: str = ""
    received_at: datetime | None = None
    #: a channel's key for a message it may deliver twice (WeChat's MsgId, blinded): the
    #: turn's save records it with the replies, and the message is never run twice
    receipt: str = ""
    #: the message was claimed before by a process that stopped answering (killed): its
    #: turn may have been saved already; if so the receipt's replies are the answer
    resumed: bool = False

    @property
    def user_key(self) -> str:
        """The conversation key: channel and channel user id."""
        return f"{self.channel}:{self.user_id}"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        if self.text:
            data["text"] = self.text
        if self.location:
            data["location"] = self.location.to_json()
        if self.trigger:
            data["trigger"] = self.trigger
            data["value"] = self.value
        return data


@dataclass(frozen=True)
class Option:
    """One tappable choice: ``label`` shown, ``value`` sent back as text."""

    label: str
    value: str


@dataclass(frozen=True)
class Reply:
    """One thing the bot says.

    ``text`` replies carry ``text``; ``options`` replies carry ``text`` and ``options``;
    ``image`` replies carry ``url`` (a path on this server, e.g. ``/code/<t>/qr.png``)
    and ``text`` as the alternative text; ``link`` replies carry ``url`` and ``text``.
    """

    type: ReplyType = "text"
    text: str = ""
    options: tuple[Option, ...] = field(default_factory=tuple)
    url: str = ""

    @classmethod
    def say(cls, text: str) -> Reply:
        return cls(type="text", text=text)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type, "text": self.text}
        if self.options:
            data["options"] = [{"label": o.label, "value": o.value} for o in self.options]
        if self.url:
            data["url"] = self.url
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        return cls(
            type=data.get("type", "text"),
            text=data.get("text", ""),
            options=tuple(Option(o["label"], o["value"]) for o in data.get("options", ())),
            url=data.get("url", ""),
        )

    def as_plain_text(self) -> str:
        """The reply as one text, for channels without buttons (WeChat, terminal)."""
        if self.type == "options" and self.options:
            lines = [self.text] if self.text else []
            lines += [f"{i}. {o.label}" for i, o in enumerate(self.options, 1)]
            return "\n".join(lines)
        if self.type == "link" and self.url:
            return f"{self.text}\n{self.url}" if self.text else self.url
        return self.text
