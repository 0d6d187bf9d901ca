"""The declarations service object of one process (kept in ``hub.parts``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.db.dialects import choose
from bot.services.declarations.repository import DeclarationsRepository
from bot.services.declarations.repository_postgres import PostgresDeclarationsRepository
from bot.services.declarations.repository_sqlite import SqliteDeclarationsRepository
from bot.services.declarations.rules import RiskRules, load_rules
from bot.services.declarations.signing import Signing

if TYPE_CHECKING:
    from bot.hub import Hub


@dataclass
class Declarations:
    """Rules, signing keys, the hub's database, clock and sealer, and the SQL that
    differs between databases (``repo``, chosen from the database's dialect once)."""

    hub: Hub
    rules: RiskRules
    signing: Signing
    repo: DeclarationsRepository = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.repo = choose(self.hub.db, postgresql=PostgresDeclarationsRepository,
                           sqlite=SqliteDeclarationsRepository)(self.hub.db)


def declarations(hub: Hub) -> Declarations:
    """The hub's declarations service, built on first use (keys generated if none)."""
    return hub.parts.setdefault(Declarations, lambda: Declarations(
        hub=hub, rules=load_rules(hub.settings.risk_rules_file),
        signing=Signing(hub.settings.keys_dir, at=hub.clock.now())))
