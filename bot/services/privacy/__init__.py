"""Keeping only what is needed (docs/privacy.md): the retention job, a resident's data
and deletion requests in chat, legal holds, and the seal-key rotation.

``register_actions(registry, hub)`` adds ``privacy.my_data``, ``privacy.deletion_preview``
and ``privacy.delete_mine``.
"""

from bot.services.privacy.actions import register_actions
from bot.services.privacy.erase import Erasure, erase_mine
from bot.services.privacy.mine import MyData, my_data
from bot.services.privacy.retention import RetentionError, RetentionReport, run_retention
from bot.services.privacy.rotation import RotationError, RotationReport, rotate_seal

__all__ = ["Erasure", "MyData", "RetentionError", "RetentionReport", "RotationError",
           "RotationReport", "erase_mine", "my_data", "register_actions", "rotate_seal",
           "run_retention"]
