"""What a callback's turn holds while it runs: the passive answer the callback waits for
(:class:`Answer`), and the message as its claim keeps it (sealed) for a process that
takes the turn over (:func:`message_record`, :func:`inbound_of`)."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.channels.wechat.dedupe import Passive
from bot.messages import Inbound, Location


class Answer:
    """The passive answer a callback waits for, until the reply budget runs out."""

    __slots__ = ("future", "pinned")

    def __init__(self, future: asyncio.Future[Passive | None]) -> None:
        self.future = future
        self.pinned = False  #: the turn has its answer and is storing it: no expiry now

    @property
    def open(self) -> bool:
        """Whether the callback still waits for it."""
        return not self.future.done()

    def expire(self) -> None:
        """The budget ran out: the callback answers `success` (unless pinned)."""
        if not self.pinned:
            self.future.cancel()

    def pin(self) -> bool:
        """Keep the callback waiting past the budget while the answer is stored; False
        when it has already answered `success`."""
        self.pinned = self.open
        return self.pinned

    def give(self, passive: Passive | None) -> None:
        """Answer the callback (if it still waits)."""
        if not self.future.done():
            self.future.set_result(passive)


def message_record(inbound: Inbound) -> dict[str, Any]:
    """The message as the claim keeps it (sealed) for a process taking the turn over."""
    data: dict[str, Any] = {"user_id": inbound.user_id, "kind": inbound.kind,
                            "text": inbound.text, "trigger": inbound.trigger,
                            "value": inbound.value, "message_id": inbound.message_id}
    if inbound.location is not None:
        data["location"] = inbound.location.to_json()
    return data


def inbound_of(data: dict[str, Any]) -> Inbound:
    """The message a claim kept (see :func:`message_record`)."""
    where = data.get("location")
    return Inbound(channel="wechat", user_id=data["user_id"], kind=data["kind"],
                   text=data.get("text", ""), trigger=data.get("trigger", ""),
                   value=data.get("value", ""), message_id=data.get("message_id", ""),
                   location=Location(where["lat"], where["lng"], where.get("label", ""))
                   if where else None)
