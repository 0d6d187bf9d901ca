"""``tongguan secrets rotate-seal``: every sealed value moved to the current seal key.

Table by table, in primary-key order and in batches of ``retention.batch_size`` rows,
each value not yet under the current key is opened (with any key of the ring) and sealed
again under the current one, with the context it was sealed under. Each batch commits
with its progress marker (``seal_rotation``: the last key done, per target key and
table), so an interrupted rotation resumes where it stopped. An update only replaces the
value it read: a row written meanwhile (by a process already on the new key) is left.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import Base
from bot.db.models.privacy import SealRotation
from bot.hub import Hub
from bot.privacy import SealError
from bot.services.privacy.sealed_columns import SEALED, SealedColumns

log = logging.getLogger("tongguan.privacy")


@dataclass
class RotationReport:
    """What a run did: values sealed again per table, and whether every table is done."""

    target: str  #: the current key's id (hex)
    resealed: dict[str, int] = field(default_factory=dict)
    finished: bool = False


class RotationError(Exception):
    """A value opens with no key of the ring (its key is missing from seal.previous_keys)."""


def _key_value(spec: SealedColumns, text: str) -> Any:
    table = Base.metadata.tables[spec.table]
    return int(text) if isinstance(table.c[spec.key].type, sa.Integer) else text


async def _marker(session: AsyncSession, target: str, table: str) -> SealRotation:
    row = await session.get(SealRotation, (target, table))
    return row if row is not None else SealRotation(target=target, table_name=table,
                                                    last_key=None, done=False, resealed=0)


async def _batch(hub: Hub, spec: SealedColumns, target: str, size: int
                 ) -> tuple[int, bool]:
    """Reseal one batch of ``spec``'s table; returns values resealed and whether the
    table is done (a batch shorter than ``size`` was its last)."""
    table = Base.metadata.tables[spec.table]
    pk = table.c[spec.key]
    wanted = [pk, *(table.c[c] for c in spec.columns)]
    if spec.context_column and spec.context_column not in (spec.key, *spec.columns):
        wanted.append(table.c[spec.context_column])
    async with hub.db.write() as session:
        marker = await _marker(session, target, spec.table)
        query = sa.select(*wanted).order_by(pk).limit(size)
        if marker.last_key is not None:
            query = query.where(pk > _key_value(spec, marker.last_key))
        rows = (await session.execute(query)).all()
        marker.done = len(rows) < size
        updates: dict[str, list[dict[str, Any]]] = {c: [] for c in spec.columns}
        for row in rows:
            for column in spec.columns:
                old = getattr(row, column)
                blob = spec.blob_of(old)
                if blob is None or hub.sealer.is_current(blob):
                    continue
                try:
                    new = hub.sealer.reseal_bytes(blob, context=spec.context_of(row))
                except SealError as err:
                    raise RotationError(
                        f"{spec.table}.{column} {spec.key}={getattr(row, spec.key)}: {err}; "
                        "add the key it was sealed with to seal.previous_keys") from err
                param = {"rot_key": getattr(row, spec.key), "rot_new": spec.value_of(new, old)}
                if spec.needs_guard():
                    param["rot_old"] = old
                updates[column].append(param)
        for column, params in updates.items():
            if not params:
                continue
            guards = [pk == sa.bindparam("rot_key")]
            if spec.needs_guard():  # only the value read is replaced
                guards.append(table.c[column] == sa.bindparam("rot_old"))
            await session.execute(sa.update(table).where(*guards)
                                  .values({column: sa.bindparam("rot_new")}), params)
        changed = sum(len(p) for p in updates.values())
        if rows:
            marker.last_key = str(getattr(rows[-1], spec.key))
        marker.resealed += changed
        marker.updated_at = hub.clock.now()
        session.add(marker)
    return changed, marker.done


async def rotate_seal(hub: Hub, *, batch_size: int | None = None,
                      max_batches: int | None = None) -> RotationReport:
    """Move sealed data to the current seal key; resumable.

    Args:
        batch_size: rows per transaction (default ``retention.batch_size``).
        max_batches: stop after this many batches (the rest on the next run).

    Raises:
        RotationError: a value opens with no key of the ring.
    """
    size = batch_size or hub.settings.retention.batch_size
    target = hub.sealer.key_id.hex()
    report = RotationReport(target=target)
    batches = 0
    for spec in SEALED:
        async with hub.db.sessions() as session:
            if (await _marker(session, target, spec.table)).done:
                continue
        while max_batches is None or batches < max_batches:
            changed, done = await _batch(hub, spec, target, size)
            batches += 1
            if changed:
                report.resealed[spec.table] = report.resealed.get(spec.table, 0) + changed
            if done:
                break
        else:
            log.info("privacy.seal.rotate.paused target=%s batches=%d", target, batches)
            return report
    report.finished = True
    log.info("privacy.seal.rotate.finished target=%s resealed=%d", target,
             sum(report.resealed.values()))
    return report


async def rotation_status(hub: Hub) -> list[SealRotation]:
    """The progress markers of the current key's rotation, one per table started."""
    async with hub.db.sessions() as session:
        rows = await session.scalars(sa.select(SealRotation).where(
            SealRotation.target == hub.sealer.key_id.hex()).order_by(SealRotation.table_name))
        return list(rows)


async def not_current(hub: Hub, *, batch_size: int = 1000) -> dict[str, int]:
    """Sealed values per table not under the current key (a full scan, for checking)."""
    found: dict[str, int] = {}
    for spec in SEALED:
        table = Base.metadata.tables[spec.table]
        pk = table.c[spec.key]
        last: Any = None
        while True:
            query = sa.select(pk, *(table.c[c] for c in spec.columns)).order_by(pk)
            if last is not None:
                query = query.where(pk > last)
            async with hub.db.sessions() as session:
                rows = (await session.execute(query.limit(batch_size))).all()
            if not rows:
                break
            last = rows[-1][0]
            for row in rows:
                for value in row[1:]:
                    blob = spec.blob_of(value)
                    if blob is not None and not hub.sealer.is_current(blob):
                        found[spec.table] = found.get(spec.table, 0) + 1
    return found
