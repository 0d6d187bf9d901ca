"""The optional resident register (``tongguan residents import FILE.csv``).

Rows: ID number, name, district, street, building. Only the ID's blind index is kept,
the name and building sealed, district and street in clear (coarse, for statistics),
and a blind index of the household (district + street + building). While a person is on
the register, a declaration for them must give the register's name (compared after
NFKC, without whitespace, case-folded). Importing again updates people already on it.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field

import sqlalchemy as sa

from bot.db.database import affected_rows
from bot.db.models.trust import Resident
from bot.services.declarations.identity import id_problem, normalize_name
from bot.services.declarations.officials import MAX_ERRORS
from bot.services.declarations.service import Declarations

log = logging.getLogger("tongguan.declarations")

CHUNK = 2000
LIMITS = {"name": 40, "district": 60, "street": 60, "building": 60}


@dataclass
class RegisterReport:
    rows: int = 0
    valid: int = 0
    invalid: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    imported: int = 0
    applied: bool = False

    def as_json(self) -> dict[str, object]:
        return {"applied": self.applied, "rows": self.rows, "valid": self.valid,
                "invalid": self.invalid, "duplicates": self.duplicates,
                "imported": self.imported,
                "errors": [{"line": n, "problem": p} for n, p in self.errors]}


def _bad(report: RegisterReport, line: int, problem: str) -> None:
    report.invalid += 1
    if len(report.errors) < MAX_ERRORS:
        report.errors.append((line, problem))


async def import_register(svc: Declarations, text: str, *,
                          dry_run: bool = False) -> RegisterReport:
    """Load or update the register: all rows, or none when one is invalid."""
    hub = svc.hub
    report = RegisterReport()
    values: dict[str, dict[str, object]] = {}
    now = hub.clock.now()
    for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not cells or not "".join(cells).strip():
            continue
        cells = [c.strip() for c in cells]
        if number == 1 and not cells[0][:1].isdigit():
            continue  # a header
        report.rows += 1
        if len(cells) < 5:
            _bad(report, number, "needs 5 columns: ID number, name, district, street, building")
            continue
        value, problem = id_problem(cells[0])
        if value is None:
            _bad(report, number, problem or "bad ID number")
            continue
        fields = dict(zip(("name", "district", "street", "building"), cells[1:5], strict=True))
        wrong = [k for k, v in fields.items() if not 1 <= len(v) <= LIMITS[k]]
        if wrong:
            _bad(report, number, f"{wrong[0]}: 1-{LIMITS[wrong[0]]} characters")
            continue
        key = hub.sealer.blind_index("id_number", value)
        if key in values:
            report.duplicates += 1
            continue
        household = "|".join(normalize_name(fields[k]) for k in ("district", "street",
                                                                   "building"))
        values[key] = {"id_index": key, "name": hub.sealer.seal(fields["name"]),
                       "district": fields["district"], "street": fields["street"],
                       "building": hub.sealer.seal(fields["building"]),
                       "household": hub.sealer.blind_index("household", household),
                       "imported_at": now}
    report.valid = len(values)
    if report.invalid or dry_run or not values:
        return report
    stmt = svc.repo.insert(Resident)
    stmt = stmt.on_conflict_do_update(index_elements=["id_index"], set_={
        c: getattr(stmt.excluded, c) for c in ("name", "district", "street", "building",
                                               "household", "imported_at")})
    rows = list(values.values())
    async with hub.db.write() as session:
        for start in range(0, len(rows), CHUNK):
            await session.execute(stmt, rows[start:start + CHUNK])
    report.imported, report.applied = len(rows), True
    log.info("declarations.register_imported rows=%d", len(rows))
    return report


async def register_size(svc: Declarations) -> int:
    async with svc.hub.db.sessions() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(Resident)) or 0)


async def clear_register(svc: Declarations) -> int:
    """Unload the register (declarations fall back to the checksum check alone)."""
    async with svc.hub.db.write() as session:
        result = await session.execute(sa.delete(Resident))
    count = affected_rows(result)
    log.info("declarations.register_cleared rows=%d", count)
    return count
