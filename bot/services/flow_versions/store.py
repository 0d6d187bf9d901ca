"""The ``flow_versions`` table: one row per published version, the newest one live.

Publishing names the version it was edited from (``base_version``): when another
version was published meanwhile the publish is refused (:class:`StaleBase`) and nothing
is written. Two publishes racing for the same number meet the unique (name, version)
key; the loser is refused the same way. A rollback is a new version copying an old one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot.db.dialects import upsert_insert
from bot.db.models.flows import FlowVersion
from bot.errors import TongguanError
from bot.services.staff.audit import audit_in

if TYPE_CHECKING:
    from bot.hub import Hub

FILES_AUTHOR = "files"  #: author of versions seeded or re-read from ``flows/``


class FlowVersionsError(TongguanError):
    """A publish or rollback that cannot be done as asked."""


class StaleBase(FlowVersionsError):
    """Another version was published since the one the edit started from."""

    def __init__(self, name: str, base: int | None, live: int | None) -> None:
        self.name, self.base, self.live = name, base, live
        super().__init__(f"flow {name}: edited from version {base}, but version {live} "
                         "is live now")


@dataclass(frozen=True)
class VersionRow:
    """One published version."""

    id: int
    name: str
    version: int
    yaml: str
    author: str
    note: str
    published_at: datetime
    rollback_of: int | None

    def summary(self) -> dict[str, Any]:
        """The history entry of the API."""
        return {"version": self.version, "author": self.author, "note": self.note,
                "published_at": self.published_at.isoformat(),
                "rollback_of": self.rollback_of}


def _row(r: FlowVersion) -> VersionRow:
    return VersionRow(r.id, r.name, r.version, r.yaml, r.author, r.note, r.published_at,
                      r.rollback_of)


class FlowVersions:
    """Reads and writes of ``flow_versions`` (one process's view; nothing cached)."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._db = hub.db

    async def newest_id(self) -> int:
        """The id of the newest row (0: none): what every process polls."""
        async with self._db.sessions() as session:
            return int(await session.scalar(sa.select(sa.func.max(FlowVersion.id))) or 0)

    async def live(self) -> dict[str, VersionRow]:
        """The live (highest) version of every name."""
        newest = (sa.select(FlowVersion.name, sa.func.max(FlowVersion.version).label("v"))
                  .group_by(FlowVersion.name).subquery())
        query = sa.select(FlowVersion).join(newest, sa.and_(
            FlowVersion.name == newest.c.name, FlowVersion.version == newest.c.v))
        async with self._db.sessions() as session:
            rows = (await session.scalars(query.order_by(FlowVersion.name))).all()
        return {r.name: _row(r) for r in rows}

    async def history(self, name: str) -> list[VersionRow]:
        """Every version of ``name``, newest first."""
        async with self._db.sessions() as session:
            rows = (await session.scalars(sa.select(FlowVersion).where(
                FlowVersion.name == name).order_by(FlowVersion.version.desc()))).all()
        return [_row(r) for r in rows]

    async def get(self, name: str, version: int) -> VersionRow | None:
        async with self._db.sessions() as session:
            row = await session.scalar(sa.select(FlowVersion).where(
                FlowVersion.name == name, FlowVersion.version == version))
        return _row(row) if row is not None else None

    async def seed(self, texts: Mapping[str, str]) -> list[str]:
        """Version 1 (author ``files``) of every name that has none; returns those added.

        Several processes starting at once may all try: the unique key keeps one.
        """
        if not texts:
            return []
        async with self._db.sessions() as session:
            known = set((await session.scalars(sa.select(FlowVersion.name).where(
                FlowVersion.name.in_(list(texts))).distinct())).all())
        missing = [name for name in texts if name not in known]
        if not missing:
            return []
        now = self._hub.clock.now()
        insert = upsert_insert(self._db, FlowVersion.__table__).values([
            {"name": name, "version": 1, "yaml": texts[name], "author": FILES_AUTHOR,
             "note": f"from flows/{name}.yml", "published_at": now} for name in missing])
        async with self._db.write() as session:
            await session.execute(insert.on_conflict_do_nothing(
                index_elements=["name", "version"]))
        return missing

    async def publish(self, name: str, yaml: str, *, author: str, note: str,
                      base_version: int | None, rollback_of: int | None = None,
                      audit_action: str | None = None, actor: str | None = None,
                      audit_detail: dict[str, Any] | None = None) -> int:
        """Add the next version of ``name``; returns its number.

        ``base_version`` is the version the text was edited from (None: a new flow).
        ``audit_action`` adds a staff audit entry (by ``actor``, default the author) in
        the same transaction.

        Raises:
            StaleBase: another version is live now (nothing written).
        """
        async with self._db.sessions() as session:
            live = await session.scalar(sa.select(sa.func.max(FlowVersion.version)).where(
                FlowVersion.name == name))
        if live != base_version:
            raise StaleBase(name, base_version, live)
        version = (live or 0) + 1
        now = self._hub.clock.now()
        try:
            async with self._db.write() as session:
                session.add(FlowVersion(name=name, version=version, yaml=yaml,
                                        author=author[:80], note=note[:500],
                                        published_at=now, rollback_of=rollback_of))
                if audit_action:
                    audit_in(session, now, actor=actor or author, action=audit_action,
                             object=f"flow:{name}",
                             detail={"version": version, **(audit_detail or {})})
        except IntegrityError as err:  # another publish took this number first
            raise StaleBase(name, base_version, version) from err
        return version


def flow_versions(hub: Hub) -> FlowVersions:
    """The process's :class:`FlowVersions`."""
    return hub.parts.setdefault(FlowVersions, lambda: FlowVersions(hub))
