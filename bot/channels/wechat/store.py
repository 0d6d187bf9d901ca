"""Small SQL helpers shared by the channel's stores."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.dml import Insert

from bot.db.database import Database


def insert_for(db: Database, model: Any) -> Insert:
    """An INSERT with ``on_conflict_*`` for the database's dialect."""
    return (pg_insert if db.dialect == "postgresql" else sqlite_insert)(model)
