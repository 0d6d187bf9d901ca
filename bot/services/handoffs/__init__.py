"""Human handoff: a resident asks for a person; staff claim, answer and close it in the
inbox (docs/handoffs.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.services.handoffs.errors import HandoffError
from bot.services.handoffs.requests import (
    CLAIMED,
    CLOSED,
    OPEN,
    STATES,
    Handoffs,
    HandoffView,
)
from bot.services.handoffs.texts import BACK_WORDS

if TYPE_CHECKING:
    from bot.hub import Hub


def handoffs(hub: Hub) -> Handoffs:
    """The process's one :class:`Handoffs` (a hub part)."""
    return hub.parts.setdefault(Handoffs, lambda: Handoffs(hub.db, hub.sealer, hub.clock,
                                                           hub.outbox))


__all__ = ["BACK_WORDS", "CLAIMED", "CLOSED", "OPEN", "STATES", "HandoffError",
           "HandoffView", "Handoffs", "handoffs"]
