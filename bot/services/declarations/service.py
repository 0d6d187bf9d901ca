"""The declarations service object of one process (kept in ``hub.parts``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.services.declarations.rules import RiskRules, load_rules
from bot.services.declarations.signing import LIVE_TTL, Signing

if TYPE_CHECKING:
    from bot.hub import Hub


@dataclass
class Declarations:
    """Rules, signing keys and the hub's database, clock and sealer."""

    hub: Hub
    rules: RiskRules
    signing: Signing
    #: lifetime of live-page codes; tests shorten it to watch the page refresh
    live_ttl: timedelta = LIVE_TTL


def declarations(hub: Hub) -> Declarations:
    """The hub's declarations service, built on first use (keys generated if none)."""
    return hub.parts.setdefault(Declarations, lambda: Declarations(
        hub=hub, rules=load_rules(hub.settings.risk_rules_file),
        signing=Signing(hub.settings.keys_dir, at=hub.clock.now())))
