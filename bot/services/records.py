"""The generic actions of forms and record export: a new form needs no code.

- ``records.districts`` sets ``_district_options`` (the demo city's districts, the list
  the declaration flow, the filings and the operations view's map use) and, when the
  sender's staff-role grant is scoped to a district (``tongguan roles grant …
  --district``), ``district`` itself, with ``_district_fixed`` saying which.
- ``records.save`` stores the answers (sealed) and counts them for the operations view.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from bot.actions import ActionContext, ActionFn, ActionRegistry, ActionResult, RowInsert
from bot.db.models import Record
from bot.services.chat_roles import chat_roles
from bot.services.ops.counters import form_tallies, row_inserts
from bot.services.ops.geo import districts

if TYPE_CHECKING:
    from bot.hub import Hub


DISTRICT_SLOTS = frozenset({"_district_options", "district", "_district_fixed"})


def district_options() -> list[dict[str, str]]:
    """The city's districts as choice options (map order, then "another district")."""
    return [{"value": d.code, "zh": d.zh, "en": d.en} for d in districts()]


def districts_action(district_of: Callable[[str], Awaitable[str | None]]) -> ActionFn:
    """``records.districts`` over ``district_of(user_key)``, the district a sender's
    staff-role grant is scoped to (None: ask)."""
    async def prepare(ctx: ActionContext) -> ActionResult:
        slots: dict[str, Any] = {"_district_options": district_options(),
                                 "_district_fixed": False}
        scope = await district_of(ctx.user_key)
        if scope is not None and any(o["value"] == scope for o in slots["_district_options"]):
            slots.update(district=scope, _district_fixed=True)
        return ActionResult(slots=slots)

    return prepare


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
    registry.register("records.districts", districts_action(chat_roles(hub).district),
                      description="The city's districts to choose from; the district of "
                                  "the sender's scoped staff role.",
                      sets=DISTRICT_SLOTS, needs_lock=False, preview=True)


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
