"""The firm register (``tongguan firms import FILE.csv``): USCC, name, industry, district.

It is the denominator of the resumption rate (:mod:`bot.services.filings.stats`). The
whole file is applied in one transaction or not at all; importing the same file again
changes nothing (rows are keyed by USCC and updated in place).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import sqlalchemy as sa

from bot.db.dialects import upsert_insert
from bot.db.models.firms import Firm
from bot.hub import Hub
from bot.services.filings.catalog import DISTRICTS, INDUSTRIES
from bot.services.filings.progress import recount_register
from bot.services.filings.validation import normalize_uscc, uscc_problem

CHUNK = 2000
MAX_ERRORS = 20  #: errors a report lists (all are counted)
COLUMNS = ("uscc", "name", "industry", "district")
_INDUSTRY = {c.value for c in INDUSTRIES}
_DISTRICT = {c.value for c in DISTRICTS}


@dataclass
class FirmImport:
    """What an import found (and, unless a dry run or an invalid row, applied)."""

    rows: int = 0
    valid: int = 0
    invalid: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    applied: bool = False

    def as_json(self) -> dict[str, object]:
        return {"applied": self.applied, "rows": self.rows, "valid": self.valid,
                "invalid": self.invalid, "duplicates": self.duplicates,
                "errors": [{"line": n, "problem": p} for n, p in self.errors]}

    def bad(self, line: int, problem: str) -> None:
        self.invalid += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append((line, problem))


def _row(report: FirmImport, line: int, cells: list[str]) -> dict[str, str] | None:
    if len(cells) < 4:
        report.bad(line, "needs 4 columns: uscc, name, industry, district")
        return None
    uscc = normalize_uscc(cells[0])
    problem = uscc_problem(uscc)
    if problem is not None:
        report.bad(line, f"uscc: {problem[2]}")
        return None
    name, industry, district = cells[1], cells[2].lower(), cells[3].lower()
    if not 1 <= len(name) <= 100:
        report.bad(line, "name: 1-100 characters")
    elif industry not in _INDUSTRY:
        report.bad(line, f"industry: one of {', '.join(sorted(_INDUSTRY))}")
    elif district not in _DISTRICT:
        report.bad(line, f"district: one of {', '.join(sorted(_DISTRICT))}")
    else:
        return {"uscc": uscc, "name": name, "industry": industry, "district": district}
    return None


async def import_firms(hub: Hub, text: str, *, dry_run: bool = False) -> FirmImport:
    """Load or update the register from CSV text: all rows, or none when one is invalid
    (a header row naming ``uscc`` is skipped)."""
    report = FirmImport()
    rows: dict[str, dict[str, object]] = {}
    now = hub.clock.now()
    for line, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in cells]
        if not "".join(cells):
            continue
        if line == 1 and cells[0].lower().lstrip("\ufeff") in ("uscc", "统一社会信用代码"):
            continue
        report.rows += 1
        row = _row(report, line, cells)
        if row is None:
            continue
        if row["uscc"] in rows:
            report.duplicates += 1
        rows[row["uscc"]] = {**row, "imported_at": now}
    report.valid = len(rows)
    if report.invalid or dry_run or not rows:
        return report
    stmt = upsert_insert(hub.db, Firm)
    stmt = stmt.on_conflict_do_update(index_elements=["uscc"], set_={
        c: getattr(stmt.excluded, c) for c in ("name", "industry", "district")})
    values = list(rows.values())
    async with hub.db.write() as session:
        for start in range(0, len(values), CHUNK):
            await session.execute(stmt, values[start:start + CHUNK])
        await recount_register(session)
    report.applied = True
    return report


async def register_size(hub: Hub) -> int:
    async with hub.db.sessions() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(Firm)) or 0)
