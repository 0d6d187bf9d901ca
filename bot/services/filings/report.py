"""The resumption analysis report (``tongguan filings report``): filings by state, the
resumption rate by district and industry, returning staff by origin city (the cities
with enough returning workers to justify a charter train or bus, as Jinan ran its
复工专列), supplies shortfalls and needs by industry. CSV (long form: section, key,
metric, value) or a printable HTML page."""

from __future__ import annotations

import csv
import html
import io
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from bot.clock import CITY_TZ
from bot.db.models.filings import Filing
from bot.hub import Hub
from bot.services.filings.catalog import DISTRICTS, INDUSTRIES, NEEDS, STATES
from bot.services.filings.stats import RateRow, resumption_rate

LIVE_STATES = ("submitted", "returned", "approved")  #: filings the plans count on
SHORT_DAYS = 7  #: supplies lasting fewer days count as a shortfall
CHARTER_MIN = 30  #: returning workers from one city that make a charter worth it
SUPPLIES = ("masks", "thermometers", "disinfectant")
_NAMES = {c.value: (c.zh, c.en) for c in (*DISTRICTS, *INDUSTRIES, *NEEDS)}


@dataclass
class FilingsReport:
    day: date
    district: str | None
    by_state: dict[str, int] = field(default_factory=dict)
    by_district: list[RateRow] = field(default_factory=list)
    by_industry: list[RateRow] = field(default_factory=list)
    #: (province, city) → (returning workers, firms)
    origins: list[tuple[str, str, int, int]] = field(default_factory=list)
    #: district → supply → filings short of it
    shortfalls: dict[str, dict[str, int]] = field(default_factory=dict)
    #: industry → need → filings naming it
    needs: dict[str, dict[str, int]] = field(default_factory=dict)
    charter_min: int = CHARTER_MIN

    @property
    def charters(self) -> list[tuple[str, str, int, int]]:
        return [o for o in self.origins if o[2] >= self.charter_min]


async def build_report(hub: Hub, *, district: str | None = None,
                       charter_min: int = CHARTER_MIN) -> FilingsReport:
    """The report as of now, for the city or one district."""
    report = FilingsReport(hub.clock.now().astimezone(CITY_TZ).date(), district,
                           charter_min=charter_min)
    where = [] if district is None else [Filing.district == district]
    async with hub.db.sessions() as session:
        states = await session.execute(sa.select(Filing.state, sa.func.count())
                                       .where(*where).group_by(Filing.state))
        report.by_state = {s: 0 for s in STATES} | {s: n for s, n in states}
        live = await session.stream(
            sa.select(Filing.district, Filing.industry, Filing.uscc, Filing.details)
            .where(Filing.state.in_(LIVE_STATES), *where)
            .execution_options(yield_per=2000))
        workers: Counter[tuple[str, str]] = Counter()
        firms: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
        short: defaultdict[str, Counter[str]] = defaultdict(Counter)
        needs: defaultdict[str, Counter[str]] = defaultdict(Counter)
        async for row_district, industry, uscc, details in live:
            for origin in details.get("staff_origins", ()):
                place = (str(origin.get("province", "")), str(origin.get("city", "")))
                workers[place] += int(origin.get("count", 0))
                firms[place].add(uscc)
            supplies = details.get("supplies_days", {})
            for supply in SUPPLIES:
                if int(supplies.get(supply, SHORT_DAYS)) < SHORT_DAYS:
                    short[row_district][supply] += 1
            for need in details.get("needs", ()):
                needs[industry][str(need)] += 1
    report.origins = sorted(((p, c, n, len(firms[(p, c)])) for (p, c), n in workers.items()),
                            key=lambda o: (-o[2], o[0], o[1]))
    report.shortfalls = {d: {s: short[d][s] for s in SUPPLIES} for d in sorted(short)}
    report.needs = {i: dict(sorted(needs[i].items())) for i in sorted(needs)}
    report.by_district = await resumption_rate(hub, "district", district=district)
    report.by_industry = await resumption_rate(hub, "industry", district=district)
    return report


def report_csv(report: FilingsReport) -> str:
    """Long form: one ``section,key,metric,value`` row per number."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["section", "key", "metric", "value"])
    w.writerow(["report", report.district or "city", "date", report.day.isoformat()])
    for state, n in report.by_state.items():
        w.writerow(["filings_by_state", state, "filings", n])
    for section, rows in (("rate_by_district", report.by_district),
                          ("rate_by_industry", report.by_industry)):
        for r in rows:
            for metric, value in r.to_json().items():
                if metric != "key":
                    w.writerow([section, r.key, metric, value])
    for province, city, n, firms in report.origins:
        key = f"{province} {city}".strip()
        w.writerow(["returning_by_origin", key, "workers", n])
        w.writerow(["returning_by_origin", key, "firms", firms])
        w.writerow(["returning_by_origin", key, "charter", int(n >= report.charter_min)])
    for district, counts in report.shortfalls.items():
        for supply, n in counts.items():
            w.writerow(["supplies_short", district, f"{supply}_under_{SHORT_DAYS}_days", n])
    for industry, counts in report.needs.items():
        for need, n in counts.items():
            w.writerow(["needs_by_industry", industry, need, n])
    return out.getvalue()


def _name(key: str) -> str:
    zh, en = _NAMES.get(key, (key, key))
    return f"{zh} {en}" if zh != en else zh


def _table(head: list[str], rows: Sequence[Sequence[object]]) -> str:
    e = html.escape
    cells = "".join(f"<th>{e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


def report_html(report: FilingsReport) -> str:
    """A printable page (no scripts, no external resources)."""
    e = html.escape
    scope = _name(report.district) if report.district else "全市 City"
    rate = [[_name(r.key), r.firms, r.filed, r.approved, f"{r.rate:.0%}"]
            for r in report.by_district]
    industry = [[_name(r.key), r.firms, r.filed, r.approved, f"{r.rate:.0%}"]
                for r in report.by_industry]
    rate_head = ["", "企业 Firms", "已申报 Filed", "已批准 Approved", "复工率 Rate"]
    origins = [[f"{p} {c}".strip(), n, f, "✓" if n >= report.charter_min else ""]
               for p, c, n, f in report.origins[:50]]
    short = [[_name(d), *c.values()] for d, c in report.shortfalls.items()]
    needs = [[_name(i), *(c.get(n.value, 0) for n in NEEDS)] for i, c in report.needs.items()]
    sections = [
        ("申报状态 Filings by state",
         _table(["状态 State", "数量 Filings"],
                [[f"{STATES[s][0]} {s}", n] for s, n in report.by_state.items()])),
        ("各区复工率 Resumption rate by district", _table(rate_head, rate)),
        ("各行业复工率 Resumption rate by industry", _table(rate_head, industry)),
        (f"返岗员工来源 Returning staff by origin (专列/包车 charter: ≥ {report.charter_min})",
         _table(["来源 Origin", "人数 Workers", "企业 Firms", "专列 Charter"], origins)),
        (f"防疫物资不足{SHORT_DAYS}天 Supplies under {SHORT_DAYS} days",
         _table(["", "口罩 Masks", "体温计 Thermometers", "消毒液 Disinfectant"], short)),
        ("各行业需求 Needs by industry",
         _table(["", *(f"{n.zh} {n.en}" for n in NEEDS)], needs)),
    ]
    body = "".join(f"<section><h2>{e(t)}</h2>{tbl}</section>" for t, tbl in sections)
    return f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>复工复产分析报告 Resumption report {e(report.day.isoformat())}</title>
<style>
body {{ font: 14px/1.5 system-ui, sans-serif; margin: 2em auto; max-width: 60em; }}
table {{ border-collapse: collapse; width: 100%; margin: .5em 0 1.5em; }}
th, td {{ border: 1px solid #999; padding: .25em .5em; text-align: left; }}
td:not(:first-child) {{ text-align: right; }}
section {{ break-inside: avoid; }}
@media print {{ body {{ margin: 0; }} }}
</style></head><body>
<h1>复工复产分析报告 Resumption analysis report</h1>
<p>{e(scope)} · {e(report.day.isoformat())}</p>
{body}
</body></html>
"""
