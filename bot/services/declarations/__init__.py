"""Health declarations and health codes: risk rules, sealed storage, signed codes.

``register_actions(registry, hub)`` adds ``declarations.prepare``, ``declarations.submit``
and ``declarations.show`` and sets ``hub.extras["media"]`` (PNG bytes of code images).
"""

from bot.services.declarations.actions import register_actions
from bot.services.declarations.declare import Person, declare, reapply_rules, set_status
from bot.services.declarations.rules import RiskRules, RulesError, load_rules
from bot.services.declarations.service import Declarations, declarations

__all__ = ["Declarations", "Person", "RiskRules", "RulesError", "declarations", "declare",
           "load_rules", "reapply_rules", "register_actions", "set_status"]
