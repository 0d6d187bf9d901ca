"""Published flow versions in the database (docs/flows-studio.md): history, publish with
a base version, rollback, and the seeding of version 1 from the files in ``flows/``."""

from bot.services.flow_versions.store import (
    FILES_AUTHOR,
    FlowVersions,
    FlowVersionsError,
    StaleBase,
    VersionRow,
    flow_versions,
)

__all__ = ["FILES_AUTHOR", "FlowVersions", "FlowVersionsError", "StaleBase", "VersionRow",
           "flow_versions"]
