"""The daily operations report as PDF.

ReportLab, because it is pure Python from PyPI: ``make`` installs it on a fresh clone with
nothing else (WeasyPrint needs Pango and Cairo from the system; printing with Chromium
needs a browser on the server). Chinese text uses ReportLab's built-in ``STSong-Light``
CID font, so no font file ships. CPU work: call :func:`report_pdf` in a thread.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from bot.services.ops.report import SECTIONS, OpsReport
from bot.services.ops.svg import COLORS

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
TITLE = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22)
HEAD = ParagraphStyle("head", fontName=FONT, fontSize=12, leading=18, spaceBefore=8)
BODY = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=13)
GRID = TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 8),
                   ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                   ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)])


def _text(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:.1%}" if isinstance(value, float) else str(value)


def _bars(districts: list[dict[str, Any]]) -> Drawing:
    drawing = Drawing(170 * mm, 60 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 30, 20, 150 * mm, 45 * mm
    chart.data = [[d[c] for d in districts] for c in ("green", "yellow", "red")]
    chart.categoryAxis.categoryNames = [d["en"] for d in districts]
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.style = "stacked"
    chart.valueAxis.valueMin = 0
    for i, c in enumerate(("green", "yellow", "red")):
        chart.bars[i].fillColor = colors.HexColor(COLORS[c])
    drawing.add(chart)
    return drawing


def _trend(trend: dict[str, list[Any]]) -> Drawing:
    drawing = Drawing(170 * mm, 55 * mm)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 30, 20, 150 * mm, 40 * mm
    chart.data = [trend["declarations"], trend["yellow"], trend["red"]]
    chart.categoryAxis.categoryNames = [d[5:] for d in trend["days"]]
    chart.categoryAxis.labels.fontSize = 6
    chart.valueAxis.valueMin = 0
    for i, c in enumerate(("line", "yellow", "red")):
        chart.lines[i].strokeColor = colors.HexColor(COLORS[c])
    drawing.add(chart)
    return drawing


def _screenings(screen: dict[str, Any]) -> list[Any]:
    """Screenings by community and by building (district → community → building)."""
    story: list[Any] = []
    if screen["communities"]:
        story += [Paragraph("楼栋排查分社区 · Screenings by community", HEAD),
                  Table([["区 / 社区", "排查", "走访户数", "居家隔离", "外地返回"]]
                        + [[f"{c['district']} / {c['name']}", _text(c["records"]),
                            _text(c["households"]), _text(c["people_quarantine"]),
                            _text(c["people_returned"])] for c in screen["communities"]],
                        style=GRID)]
    if screen["buildings"]:
        story += [Paragraph("楼栋排查分楼栋 · Screenings by building", HEAD),
                  Table([["区 / 社区 / 楼栋", "排查", "走访户数", "在家", "居家隔离", "外地返回"]]
                        + [[f"{b['district']} / {b['name']} / {b['place']}",
                            *(_text(b[f]) for f in ("records", "households", "people_home",
                                                    "people_quarantine", "people_returned"))]
                           for b in screen["buildings"]], style=GRID)]
    return story


def report_pdf(report: OpsReport) -> bytes:
    v = report.view
    story: list[Any] = [
        Paragraph("一网通管日报 · Daily operations report", TITLE),
        Paragraph(f"日期 Date: {v['date']} · 范围 Scope: {report.district or '全市 city'} · "
                  f"{v['timezone']} · 街道以下少于 {v['small_cell']} 显示为 &lt;"
                  f"{v['small_cell']}", BODY)]
    for key, zh, en, fields in SECTIONS:
        story.append(Paragraph(f"{zh} · {en}", HEAD))
        story.append(Table([[f"{fz} {fe}" for _f, fz, fe in fields],
                            [_text(v[key][f]) for f, _fz, _fe in fields]], style=GRID))
    if v["filings"]:
        story += [Paragraph("复工申报（今日流转）· Filings today", HEAD),
                  Table([list(v["filings"]), [str(n) for n in v["filings"].values()]],
                        style=GRID)]
    story.append(Paragraph("需关注 · Highlights", HEAD))
    story += [Paragraph(f"• {h['zh']} / {h['en']}", BODY) for h in v["highlights"]] or [
        Paragraph("无 none", BODY)]
    story += [Paragraph("各区申报 · Declarations by district", HEAD), _bars(v["districts"]),
              Paragraph("近14天 · Last 14 days", HEAD), _trend(v["trend"]),
              Paragraph("分区 · By district", HEAD),
              Table([["区 District", "申报", "绿", "黄", "红", "居家隔离", "预约"]]
                    + [[f"{d['zh']} {d['en']}", d["declarations"], d["green"], d["yellow"],
                        d["red"], d["quarantine_home"], d["reserved"]]
                       for d in v["districts"]], style=GRID)]
    if v["streets"]:
        story += [Paragraph("分街道 · By street", HEAD),
                  Table([["区 / 街道", "申报", "黄", "红", "居家隔离"]]
                        + [[f"{s['district']} / {s['name']}", _text(s["declarations"]),
                            _text(s["yellow"]), _text(s["red"]), _text(s["quarantine_home"])]
                           for s in v["streets"]], style=GRID)]
    story += _screenings(v["screenings"])
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm,
                            title=f"Operations report {v['date']}")
    doc.build(story)
    return out.getvalue()
