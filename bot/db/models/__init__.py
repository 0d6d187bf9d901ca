"""All models. Importing this package imports every module in it, registering each table
on ``Base.metadata`` (a feature adds a module here and a migration, nothing else)."""

import importlib
import pkgutil

from bot.db.models.codes_log import CodeIssue
from bot.db.models.core import (
    ApiSession,
    Conversation,
    Handoff,
    IdBlock,
    OutboxMessage,
    Profile,
    Record,
    Turn,
    TurnReceipt,
)

for _info in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["ApiSession", "CodeIssue", "Conversation", "Handoff", "IdBlock", "OutboxMessage",
           "Profile", "Record", "Turn", "TurnReceipt"]
