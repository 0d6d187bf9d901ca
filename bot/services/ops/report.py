"""The daily operations report: one city day's numbers (optionally one district), the
charts and the highlights, as printable HTML, CSV or PDF."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.hub import Hub
from bot.services.ops.clock import city_day
from bot.services.ops.snapshot import read
from bot.services.ops.summary import summary

FORMATS = ("html", "pdf", "csv")
#: the report's sections: (JSON key, zh, en, [(field, zh, en)])
SECTIONS: tuple[tuple[str, str, str, tuple[tuple[str, str, str], ...]], ...] = (
    ("declarations", "健康申报", "Declarations",
     (("total", "合计", "total"), ("green", "绿码", "green"), ("yellow", "黄码", "yellow"),
      ("red", "红码", "red"))),
    ("codes", "健康码", "Health codes",
     (("issued", "签发", "issued"), ("revoked", "撤销", "revoked"),
      ("paper", "纸质码", "paper"))),
    ("quarantine", "居家隔离", "Home quarantine",
     (("home", "申报居家隔离", "declared at home"),
      ("screened", "排查登记隔离人数", "counted by screenings"))),
    ("screenings", "楼栋排查", "Screenings",
     (("records", "登记次数", "records"), ("households", "走访户数", "households"),
      ("people_home", "在家人数", "people at home"),
      ("people_quarantine", "居家隔离人数", "in home quarantine"),
      ("people_returned", "外地返回人数", "back from outside"))),
    ("checkins", "场所登记", "Venue check-ins", (("total", "合计", "total"),)),
    ("reservations", "物资预约", "Reservations",
     (("released", "投放", "released"), ("reserved", "预约", "reserved"),
      ("picked_up", "已领取", "picked up"), ("expired", "过期", "expired"),
      ("cancelled", "取消", "cancelled"), ("stock_left", "剩余库存", "stock left"))),
    ("resumption", "复工", "Resumption",
     (("filed", "已申报企业", "firms filed"), ("approved", "已批准", "approved"),
      ("firms", "企业名录", "registered firms"), ("rate", "复工率", "rate"))),
)


@dataclass(frozen=True)
class OpsReport:
    day: date
    district: str | None
    view: dict[str, Any]

    @property
    def name(self) -> str:
        return f"ops-{self.day.isoformat()}-{self.district or 'city'}"


async def build_report(hub: Hub, day: date | None = None,
                       district: str | None = None) -> OpsReport:
    """The report of ``day`` (default: today in the city) for the city or a district."""
    now = hub.clock.now()
    today = city_day(hub.settings, now)
    day = day or today
    view = summary(await read(hub, day, now), hub.settings, district)
    if day != today:
        view["handoffs"] = None  # waiting handoffs are a now, not a day's, number
    return OpsReport(day, district, view)


def rows(report: OpsReport) -> list[list[Any]]:
    """The report as table rows: section, area, field, value (CSV and PDF)."""
    v = report.view
    out: list[list[Any]] = [["date", "", "", v["date"]],
                            ["scope", "", "", report.district or "city"]]
    for key, _zh, _en, fields in SECTIONS:
        for field, _fz, _fe in fields:
            out.append([key, report.district or "city", field, v[key][field]])
    for name, n in v["filings"].items():
        out.append(["filings", report.district or "city", name, n])
    if v.get("handoffs"):
        out.append(["handoffs", "city", "waiting", v["handoffs"]["waiting"]])
    for d in v["districts"]:
        for field in ("declarations", "green", "yellow", "red", "quarantine_home",
                      "screenings", "checkins", "reserved", "picked_up", "filings_submitted"):
            out.append(["district", d["district"], field, d[field]])
    for s in v["streets"]:
        for field in ("declarations", "green", "yellow", "red", "quarantine_home"):
            out.append(["street", f"{s['district']}/{s['name']}", field, s[field]])
    for c in v["screenings"]["communities"]:
        for field in ("records", "households", "people_quarantine", "people_returned"):
            out.append(["screening", f"{c['district']}/{c['name']}", field, c[field]])
    for b in v["screenings"]["buildings"]:  # district / community / building
        for field in ("records", "households", "people_home", "people_quarantine",
                      "people_returned"):
            out.append(["screening_building", f"{b['district']}/{b['name']}/{b['place']}",
                        field, b[field]])
    for b in v["buildings"]:
        for field in ("declarations", "yellow_red", "screenings", "people_quarantine",
                      "people_returned"):
            out.append(["building", f"{b['district']}/{b['name']}/{b['place']}", field,
                        b[field]])
    trend = v["trend"]
    for name in (k for k in trend if k != "days"):  # the 14 days up to the report's
        for day, n in zip(trend["days"], trend[name], strict=True):
            out.append(["trend", day, name, n])
    for venue in v["checkins"]["venues"]:
        out.append(["checkins", f"{venue['district']}/{venue['venue']}", "count",
                    venue["count"]])
    for st in v["stock"]:
        out.append(["stock", f"{st['store']}/{st['product']}", "left", st["left"]])
    for h in v["highlights"]:
        out.append(["highlight", h.get("district", ""), h["kind"], h["en"]])
    return out


def _cell(value: Any) -> Any:
    """Free text (a street typed by a resident) never starts a spreadsheet formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def report_csv(report: OpsReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "area", "field", "value"])
    writer.writerows([[_cell(c) for c in row] for row in rows(report)])
    return out.getvalue()
