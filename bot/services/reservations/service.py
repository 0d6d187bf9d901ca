"""Building the engine from a hub, once per process (kept in ``hub.parts``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.services.reservations.context import SupplyContext
from bot.services.reservations.rules import DEFAULT_RULES_FILE, Rules, load_rules

if TYPE_CHECKING:
    from bot.hub import Hub

REPO_ROOT = Path(__file__).resolve().parents[3]


def rules_path(configured: Path = DEFAULT_RULES_FILE) -> Path:
    """``settings.supply_rules_file``: absolute as is; relative against the working
    directory, else the repository root (where the packaged ``supply_rules.yml`` is)."""
    if configured.is_absolute() or configured.exists():
        return configured
    packaged = REPO_ROOT / configured
    return packaged if packaged.exists() else configured


def supply_context(hub: Hub, rules: Rules | None = None) -> SupplyContext:
    """The hub's reservation engine, built on first use."""
    return hub.parts.setdefault(SupplyContext, lambda: SupplyContext(
        db=hub.db, sealer=hub.sealer, clock=hub.clock, outbox=hub.outbox,
        rules=rules or load_rules(rules_path(hub.settings.supply_rules_file)), hub=hub))
