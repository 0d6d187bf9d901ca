"""Database access: engine and sessions, models, Alembic migrations."""

from bot.db.base import Base
from bot.db.database import Database, make_database

__all__ = ["Base", "Database", "make_database"]
