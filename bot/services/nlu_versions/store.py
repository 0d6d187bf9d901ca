"""The ``nlu_versions`` table: one row per saved intent set, the highest version live.

Saving names the version it was edited from (``base_version``): when another version was
saved meanwhile the save is refused (:class:`StaleBase`) and nothing is written; two saves
racing for one number meet the unique key and the loser is refused the same way. Each
process polls :meth:`NluVersions.newest_id` (cheap) and retrains when it moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot.db.dialects import upsert_insert
from bot.db.models.nlu import NluVersion
from bot.errors import TongguanError
from bot.services.staff.audit import audit_in

if TYPE_CHECKING:
    from bot.hub import Hub

FILES_AUTHOR = "files"  #: author of the version seeded or re-read from ``intents/``


class StaleBase(TongguanError):
    """Another version was saved since the one the edit started from."""

    def __init__(self, base: int | None, live: int | None) -> None:
        self.base, self.live = base, live
        super().__init__(f"nlu: edited from version {base}, but version {live} is live now")


@dataclass(frozen=True)
class NluRow:
    """One saved version."""

    id: int
    version: int
    yaml: str
    author: str
    note: str
    intents: int
    examples: int
    saved_at: datetime

    def summary(self) -> dict[str, Any]:
        """The history entry of the API."""
        return {"version": self.version, "author": self.author, "note": self.note,
                "intents": self.intents, "examples": self.examples,
                "saved_at": self.saved_at.isoformat()}


def _row(r: NluVersion) -> NluRow:
    return NluRow(r.id, r.version, r.yaml, r.author, r.note, r.intents, r.examples,
                  r.saved_at)


class NluVersions:
    """Reads and writes of ``nlu_versions`` (nothing cached)."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._db = hub.db

    async def newest_id(self) -> int:
        """The id of the newest row (0: none): what every process polls."""
        async with self._db.sessions() as session:
            return int(await session.scalar(sa.select(sa.func.max(NluVersion.id))) or 0)

    async def live(self) -> NluRow | None:
        """The live (highest) version, if any."""
        async with self._db.sessions() as session:
            row = await session.scalar(sa.select(NluVersion).order_by(
                NluVersion.version.desc()).limit(1))
        return _row(row) if row is not None else None

    async def history(self, limit: int = 50) -> list[NluRow]:
        """The newest ``limit`` versions, newest first."""
        async with self._db.sessions() as session:
            rows = (await session.scalars(sa.select(NluVersion).order_by(
                NluVersion.version.desc()).limit(limit))).all()
        return [_row(r) for r in rows]

    async def seed(self, yaml: str, *, intents: int, examples: int, note: str) -> bool:
        """Version 1 (author ``files``) when there is none; True when added. Processes
        starting at once may all try: the unique key keeps one."""
        insert = upsert_insert(self._db, NluVersion.__table__).values(
            version=1, yaml=yaml, author=FILES_AUTHOR, note=note, intents=intents,
            examples=examples, saved_at=self._hub.clock.now())
        async with self._db.write() as session:
            result = await session.execute(insert.on_conflict_do_nothing(
                index_elements=["version"]))
        return bool(getattr(result, "rowcount", 0))

    async def save(self, yaml: str, *, intents: int, examples: int, author: str, note: str,
                   base_version: int | None, actor: str | None = None,
                   audit_detail: dict[str, Any] | None = None) -> int:
        """Add the next version; returns its number. With ``actor`` a staff audit entry
        (``nlu.save``) goes in the same transaction.

        Raises:
            StaleBase: another version is live now (nothing written).
        """
        async with self._db.sessions() as session:
            live = await session.scalar(sa.select(sa.func.max(NluVersion.version)))
        if live != base_version:
            raise StaleBase(base_version, live)
        version = (live or 0) + 1
        now = self._hub.clock.now()
        try:
            async with self._db.write() as session:
                session.add(NluVersion(version=version, yaml=yaml, author=author[:80],
                                       note=note[:500], intents=intents, examples=examples,
                                       saved_at=now))
                if actor:
                    audit_in(session, now, actor=actor, action="nlu.save",
                             object=f"nlu:{version}",
                             detail={"version": version, "intents": intents,
                                     "examples": examples, **(audit_detail or {})})
        except IntegrityError as err:  # another save took this number first
            raise StaleBase(base_version, version) from err
        return version


def nlu_versions(hub: Hub) -> NluVersions:
    """The process's :class:`NluVersions`."""
    return hub.parts.setdefault(NluVersions, lambda: NluVersions(hub))
