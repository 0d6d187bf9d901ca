"""Health declarations and health codes: risk rules, sealed storage, signed codes.

``register_actions(registry, hub)`` adds ``declarations.prepare``, ``declarations.submit``
and ``declarations.show``; ``code_image(hub, path)`` serves the PNG bytes of code images
(a media source, see ``bot/features.py``).
"""

from bot.services.declarations.actions import code_image, register_actions
from bot.services.declarations.declare import Person, declare, reapply_rules
from bot.services.declarations.officials import set_status
from bot.services.declarations.rules import RiskRules, RulesError, load_rules
from bot.services.declarations.service import Declarations, declarations

__all__ = ["Declarations", "Person", "RiskRules", "RulesError", "code_image", "declarations",
           "declare", "load_rules", "reapply_rules", "register_actions", "set_status"]
