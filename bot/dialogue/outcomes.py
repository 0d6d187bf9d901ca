"""What a dialogue step returns: the next thing the engine should do.

Steps (answers, repair commands, offers, the executor) take the :class:`~bot.dialogue.turn.Turn`,
change its state, add replies, and return one of these; the engine loops over them
until :data:`DONE`. No step calls another step or the engine itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.dialogue.flows.model import Flow
from bot.errors import TongguanError
from bot.messages import Reply


@dataclass(frozen=True)
class Done:
    """The turn is complete: its replies are final."""


@dataclass(frozen=True)
class Advance:
    """Run the flows forward until one waits for the user (or none is running)."""


@dataclass(frozen=True)
class StartFlow:
    """Start ``flow`` with these first answers (a running flow is paused)."""

    flow: Flow
    slots: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunCommand:
    """Run a repair command (``cancel``, ``restart``, ``handoff``…) by name."""

    name: str


@dataclass(frozen=True)
class Reask:
    """Repeat whatever the conversation waits for."""


@dataclass(frozen=True)
class CarryOn:
    """Reask, or walk on when the top frame waits for nothing (moved by a flow update)."""


@dataclass(frozen=True)
class Greet:
    """Show the menu, with the menu's greeting first unless ``with_greeting`` is False."""

    with_greeting: bool = True


@dataclass(frozen=True)
class OfferResume:
    """Offer to go back to the most recently paused flow."""


Outcome = Done | Advance | StartFlow | RunCommand | Reask | CarryOn | Greet | OfferResume

DONE = Done()
ADVANCE = Advance()
REASK = Reask()
CARRY_ON = CarryOn()
OFFER_RESUME = OfferResume()


class FlowLoopError(TongguanError):
    """A flow (or a chain of outcomes) ran longer in one turn than any real flow needs."""


class ActionFailed(TongguanError):
    """An action refused or crashed; the turn rolls the flow back to where it was (and
    ends it when ``final``: retrying cannot help)."""

    def __init__(self, replies: list[Reply], *, final: bool = False) -> None:
        super().__init__("action failed")
        self.replies = replies
        self.final = final
