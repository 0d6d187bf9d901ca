"""Building the engine from a hub, once per process (kept in ``hub.extras``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from bot.services.reservations.context import SupplyContext
from bot.services.reservations.rules import DEFAULT_RULES_FILE, Rules, load_rules

if TYPE_CHECKING:
    from bot.hub import Hub

EXTRAS_KEY = "reservations"
RULES_ENV = "TONGGUAN_SUPPLY_RULES"
PACKAGED_RULES = Path(__file__).resolve().parents[3] / "supply_rules.yml"


def rules_path() -> Path:
    """``$TONGGUAN_SUPPLY_RULES``, else ``supply_rules.yml`` here, else the repository's."""
    if os.environ.get(RULES_ENV):
        return Path(os.environ[RULES_ENV])
    return DEFAULT_RULES_FILE if DEFAULT_RULES_FILE.exists() else PACKAGED_RULES


def supply_context(hub: Hub, rules: Rules | None = None) -> SupplyContext:
    """The hub's reservation engine, built on first use."""
    ctx = hub.extras.get(EXTRAS_KEY)
    if ctx is None:
        ctx = SupplyContext(db=hub.db, sealer=hub.sealer, clock=hub.clock, outbox=hub.outbox,
                            rules=rules or load_rules(rules_path()))
        hub.extras[EXTRAS_KEY] = ctx
    return ctx
