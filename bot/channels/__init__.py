"""Channels translate at the edge: wire format in → :class:`Inbound`; :class:`Reply` → out."""

from bot.messages import Inbound, Location, Option, Reply

__all__ = ["Inbound", "Location", "Option", "Reply"]
