"""Saved versions of the NLU intent set in the database (docs/nlu.md)."""

from bot.services.nlu_versions.store import (
    FILES_AUTHOR,
    NluRow,
    NluVersions,
    StaleBase,
    nlu_versions,
)

__all__ = ["FILES_AUTHOR", "NluRow", "NluVersions", "StaleBase", "nlu_versions"]
