"""All models; importing this module registers every table on ``Base.metadata``."""

from bot.db.models.core import (
    ApiSession,
    Conversation,
    Handoff,
    OutboxMessage,
    Profile,
    Record,
    Turn,
)

__all__ = ["ApiSession", "Conversation", "Handoff", "OutboxMessage", "Profile", "Record", "Turn"]
