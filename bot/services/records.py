"""The generic ``records.save`` action and record export: a new form needs no code."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from bot.actions import ActionContext, ActionRegistry, ActionResult, RowInsert
from bot.db.models import Record
from bot.services.ops.counters import form_tallies, row_inserts

if TYPE_CHECKING:
    from bot.hub import Hub


def register_actions(registry: ActionRegistry, hub: Hub) -> None:
    """Register ``records.save``: stores the flow's answers (sealed) as a submission.

    Step params: ``fields`` (optional list of slot names; default every slot); ``ops``
    (optional: what the operations view counts of it, see
    :func:`bot.services.ops.counters.form_tallies` and docs/ops.md). Sets slot
    ``record_id``.
    """

    async def save(ctx: ActionContext) -> ActionResult:
        fields = ctx.params.get("fields")
        data = {k: v for k, v in ctx.slots.items()
                if (fields is None or k in fields) and not k.startswith("_")}
        sealed = hub.sealer.seal(data)
        # The row rides with the turn's save (bot.actions.RowInsert): it exists exactly
        # when the turn does, and the turn needs no lock.
        record_id = await hub.db.next_id("records")
        return ActionResult(slots={"record_id": record_id}, inserts=[RowInsert(
            "records", {"id": record_id, "flow_id": ctx.flow_id, "user_key": ctx.user_key,
                        "lang": ctx.lang, "data": sealed, "created_at": ctx.now}),
            *row_inserts(ctx.now, form_tallies(ctx.params.get("ops"), ctx.slots))])

    registry.register("records.save", save, description="Store the flow's answers.",
                      sets={"record_id"}, needs_lock=False)


async def export_records(hub: Hub, flow_id: str, *, fmt: str = "csv") -> str:
    """Every record of ``flow_id`` as CSV (columns: id, created_at, lang, then slots)."""
    async with hub.db.sessions() as session:
        rows = (await session.scalars(sa.select(Record).where(Record.flow_id == flow_id)
                                      .order_by(Record.id))).all()
    records: list[dict[str, Any]] = []
    columns: list[str] = []
    for row in rows:
        data = hub.sealer.open(row.data)
        for key in data:
            if key not in columns:
                columns.append(key)
        records.append({"id": row.id, "created_at": row.created_at.isoformat(),
                        "lang": row.lang, **data})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["id", "created_at", "lang", *columns],
                            extrasaction="ignore")
    writer.writeheader()
    for rec in records:
        writer.writerow({k: ("; ".join(map(str, v)) if isinstance(v, list) else v)
                         for k, v in rec.items()})
    return out.getvalue()
