"""The filings part of one process (kept in ``hub.parts``): the hub and the live rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bot.clock import CITY_TZ
from bot.services.filings.rules import FilingRules, load_rules

if TYPE_CHECKING:
    from bot.hub import Hub


@dataclass
class Filings:
    """What every filing operation needs: the hub (database, sealer, clock, outbox) and
    the pre-screen rules (replaced whole when the file is reloaded)."""

    hub: Hub
    rules: FilingRules

    def today(self) -> date:
        """The city's date now (planned start dates are checked against it)."""
        return self.hub.clock.now().astimezone(CITY_TZ).date()


def filings(hub: Hub) -> Filings:
    """The hub's filings part, built on first use (rules from ``filings.rules_file``)."""
    return hub.parts.setdefault(Filings, lambda: Filings(
        hub=hub, rules=load_rules(hub.settings.filings.rules_file)))
