"""Submissions of a form (rows ``records.save`` stored for one flow): how many, and the
answers as CSV or XLSX for the studio. Answers are sealed at rest; the caller decides
what is shown in clear (``reveal``) — the web layer unseals identity fields for admins
only and audits every export."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from bot.db.models import Record

if TYPE_CHECKING:
    from bot.hub import Hub

FIXED = ["id", "created_at", "lang"]
MAX_ROWS = 100_000  #: rows in one export
#: ``reveal(field, value)``: the value as the export shows it (masked, or as it is)
Reveal = Callable[[str, Any], Any]


async def submission_count(hub: Hub, flow_id: str) -> tuple[int, datetime | None]:
    """How many submissions ``flow_id`` has, and when the last one came."""
    async with hub.db.sessions() as session:
        count, latest = (await session.execute(sa.select(
            sa.func.count(), sa.func.max(Record.created_at)).where(
                Record.flow_id == flow_id))).one()
    return int(count), latest


async def submissions(hub: Hub, flow_id: str, reveal: Reveal,
                      fields: list[str] | None = None) -> tuple[list[str], list[list[Any]]]:
    """Columns (``id``, ``created_at``, ``lang``, then ``fields`` and any other answer
    found) and one row per submission, oldest first."""
    async with hub.db.sessions() as session:
        rows = (await session.scalars(sa.select(Record).where(Record.flow_id == flow_id)
                                      .order_by(Record.id).limit(MAX_ROWS))).all()
    columns = list(fields or [])
    answers = []
    for row in rows:
        data = hub.sealer.open(row.data)
        columns += [k for k in data if k not in columns]
        answers.append((row, data))
    table = []
    for row, data in answers:
        cells = [reveal(c, data[c]) if c in data else "" for c in columns]
        table.append([row.id, row.created_at.isoformat(), row.lang,
                      *(_cell(v) for v in cells)])
    return FIXED + columns, table


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return "; ".join(map(str, value))
    if isinstance(value, dict):  # a location
        return value.get("label") or f"{value.get('lat')}, {value.get('lng')}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def to_csv(columns: list[str], rows: list[list[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_safe(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(columns: list[str], rows: list[list[Any]], title: str) -> bytes:
    """One sheet, a bold header row, numbers kept as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = title[:31] or "submissions"
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_safe(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _safe(value: Any) -> Any:
    """A text a spreadsheet would run as a formula (=, +, -, @) is shown as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
