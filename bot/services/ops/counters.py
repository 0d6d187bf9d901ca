"""Counting for the operations view: a line in each writer's transaction.

A writer hands :func:`count` the moment and what happened as :class:`Tally` values; they
become :class:`~bot.db.models.ops.OpsEvent` rows in the same transaction, so a count
exists exactly when its cause does. An action that hands its rows back with the turn's
save uses :func:`row_inserts` instead. Counts only: a tally never names a person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import RowInsert
from bot.db.base import UTCDateTime
from bot.db.models.ops import OpsEvent
from bot.db.models.reservations import SupplyRelease, SupplyReservation, SupplyStore

# Metric names (docs/ops.md lists what each counts).
DECLARATIONS = "decl.total"
COLORS = ("green", "yellow", "red")
HOME_QUARANTINE = "quarantine.home"
CODES_ISSUED = "codes.issued"
CODES_REVOKED = "codes.revoked"
PAPER_CODES = "codes.paper"
CHECKINS = "checkins"
RESERVED, PICKED_UP, EXPIRED, CANCELLED = ("res.reserved", "res.picked_up", "res.expired",
                                           "res.cancelled")
SCREENINGS = "screen.records"
METRIC = re.compile(r"^[a-z][a-z0-9_.]{0,39}$")
LIMITS = {"district": 40, "street": 60, "place": 40}
_SPACE = re.compile(r"\s+")


def color_metric(color: str) -> str:
    return f"decl.{color}"


def filing_metric(state: str) -> str:
    return f"filings.{state}"


def clean(text: Any, field: str) -> str:
    """An area name as counted: whitespace collapsed, cut to the column's size."""
    if not isinstance(text, str):
        return ""
    return _SPACE.sub(" ", text).strip()[:LIMITS[field]]


@dataclass(frozen=True)
class Tally:
    """``n`` more of ``metric`` in an area (``""``: not known / not that fine)."""

    metric: str
    n: int = 1
    district: str = ""
    street: str = ""
    place: str = ""

    def values(self, at: datetime) -> dict[str, Any]:
        return {"at": at, "district": clean(self.district, "district"),
                "street": clean(self.street, "street"), "place": clean(self.place, "place"),
                "metric": self.metric, "n": int(self.n)}


def _in(area: Mapping[str, str], metric: str, n: int = 1) -> Tally:
    return Tally(metric, n, area.get("district", ""), area.get("street", ""),
                 area.get("place", ""))


def _rows(at: datetime, tallies: Iterable[Tally]) -> list[dict[str, Any]]:
    return [t.values(at) for t in tallies if t.n]


async def count(session: AsyncSession, at: datetime, *tallies: Tally) -> None:
    """Append ``tallies`` at ``at`` in ``session``'s transaction (one statement)."""
    rows = _rows(at, tallies)
    if rows:
        await session.execute(sa.insert(OpsEvent).values(rows))


def row_inserts(at: datetime, tallies: Iterable[Tally]) -> list[RowInsert]:
    """The same rows, to hand back with a turn's save (``bot.actions.RowInsert``)."""
    return [RowInsert("ops_events", row) for row in _rows(at, tallies)]


async def count_reservations(session: AsyncSession, at: datetime, metric: str,
                             *where: sa.ColumnElement[bool]) -> None:
    """Count the reservations matching ``where`` (just changed in ``session``), one
    event per store district, in one ``INSERT … SELECT``."""
    res, rel, store = SupplyReservation, SupplyRelease, SupplyStore
    await session.execute(sa.insert(OpsEvent).from_select(
        ["at", "district", "street", "place", "metric", "n"],
        sa.select(sa.literal(at, UTCDateTime()), sa.func.substr(store.district, 1, 40),
                  sa.literal(""), sa.literal(""), sa.literal(metric), sa.func.count())
        .select_from(res).join(rel, rel.id == res.release_id)
        .join(store, store.id == rel.store_id).where(*where).group_by(store.district)))


def _declared_at(answers: Mapping[str, Any]) -> dict[str, str]:
    return {"district": answers.get("district") or "", "street": answers.get("street") or "",
            "place": answers.get("building") or ""}


def declaration_tallies(answers: Mapping[str, Any], color: str,
                        earlier: Mapping[str, Any] | None = None) -> list[Tally]:
    """A declaration: its colour (by building when the answers name one), and the people
    in home quarantine: a person counts once a day, where their last declaration of
    the day (``earlier``: the one before this, if any) says they are."""
    area = _declared_at(answers)
    tallies = [_in(area, DECLARATIONS), _in(area, color_metric(color))]
    home = answers.get("quarantine") == "home"
    was = (_declared_at(earlier) if earlier is not None
           and earlier.get("quarantine") == "home" else None)  #: where counted today
    if home and was == area:
        return tallies  # already counted there today
    if was is not None:
        tallies.append(_in(was, HOME_QUARANTINE, -1))
    if home:
        tallies.append(_in(area, HOME_QUARANTINE))
    return tallies


def status_tallies(district: str, revoked: int, issued: int = 1) -> list[Tally]:
    """New health statuses (each a code to show) and the statuses they replaced."""
    return [Tally(CODES_ISSUED, issued, district=district),
            Tally(CODES_REVOKED, revoked, district=district)]


def form_tallies(spec: Any, slots: Mapping[str, Any]) -> list[Tally]:
    """A form's record as its flow's ``records.save`` step asks (``params.ops``):
    ``count`` (a metric counted once), ``district``/``street``/``place`` (slot names),
    ``sums`` (metric → slot of a number). Anything malformed counts nothing."""
    if not isinstance(spec, Mapping):
        return []
    area = {k: str(slots.get(spec[k]) or "") for k in ("district", "street", "place")
            if isinstance(spec.get(k), str)}
    tallies = []
    if isinstance(spec.get("count"), str) and METRIC.match(spec["count"]):
        tallies.append(_in(area, spec["count"]))
    sums = spec.get("sums")
    for metric, slot in (sums.items() if isinstance(sums, Mapping) else ()):
        value = slots.get(slot)
        if METRIC.match(str(metric)) and isinstance(value, int) and not isinstance(value, bool):
            tallies.append(_in(area, str(metric), max(0, min(value, 1_000_000))))
    return tallies
