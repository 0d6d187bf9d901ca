"""Small SQL helpers shared by the channel's stores."""

from __future__ import annotations

from typing import Any

from bot.db.database import Database
from bot.db.dialects import UpsertInsert, upsert_insert


def insert_for(db: Database, model: Any) -> UpsertInsert:
    """An INSERT with ``on_conflict_*`` for the database's dialect."""
    return upsert_insert(db, model)
