"""The daily operations report as one printable HTML page (charts drawn as SVG)."""

from __future__ import annotations

from html import escape
from typing import Any

from bot.services.ops.report import SECTIONS, OpsReport
from bot.services.ops.svg import line_chart, sparkline, stacked_bars

STYLE = """body{font-family:"Noto Sans CJK SC","PingFang SC",sans-serif;margin:24px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:20px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ccc;padding:3px 8px;
font-size:13px;text-align:right}th:first-child,td:first-child{text-align:left}
.cards{display:flex;flex-wrap:wrap;gap:8px}.card{border:1px solid #ccc;padding:6px 10px}
.card b{font-size:18px;display:block}ul.hl li{color:#b71c1c}
@media print{body{margin:8mm}}"""


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1%}"
    return escape(str(value))


def report_html(report: OpsReport) -> str:
    v = report.view
    scope = escape(report.district or "全市 city")
    out = [f'<!doctype html><html lang="zh"><head><meta charset="utf-8">'
           f"<title>一网通管日报 Operations report {v['date']}</title><style>{STYLE}</style>"
           f"</head><body><h1>一网通管日报 · Daily operations report</h1>"
           f'<p>日期 Date: <b id="report-date">{v["date"]}</b> · 范围 Scope: <b>{scope}</b>'
           f" · 时区 {escape(v['timezone'])} · 生成于 generated {escape(v['generated_at'])}"
           f" · 街道以下少于 {v['small_cell']} 显示为 &lt;{v['small_cell']} "
           f"(below district level counts under {v['small_cell']} show as "
           f"&lt;{v['small_cell']})</p>"]
    for key, zh, en, fields in SECTIONS:
        out.append(f'<h2>{zh} · {en}</h2><div class="cards" data-section="{key}">')
        for field, fz, fe in fields:
            out.append(f'<div class="card" data-field="{key}.{field}">{fz} {fe}'
                       f"<b>{_cell(v[key][field])}</b></div>")
        out.append("</div>")
    if v["filings"]:
        out.append("<h2>复工申报（今日流转）· Filings (today's transitions)</h2><table><tr>"
                   + "".join(f"<th>{escape(k)}</th>" for k in v["filings"]) + "</tr><tr>"
                   + "".join(f"<td>{n}</td>" for n in v["filings"].values()) + "</tr></table>")
    if v.get("handoffs"):
        h = v["handoffs"]
        out.append(f"<h2>转人工 · Handoffs</h2><p>等待 waiting: <b>{h['waiting']}</b>, "
                   f"最久 oldest: {_cell(h['oldest_minutes'])} min</p>")
    out.append("<h2>需关注 · Highlights</h2><ul class=hl>"
               + "".join(f"<li>{escape(h['zh'])} / {escape(h['en'])}</li>"
                         for h in v["highlights"]) + "</ul>" if v["highlights"]
               else "<h2>需关注 · Highlights</h2><p>无 none</p>")
    districts = v["districts"]
    out.append("<h2>各区申报 · Declarations by district</h2>" + stacked_bars(
        [d["zh"] for d in districts], {c: [d[c] for d in districts]
                                       for c in ("green", "yellow", "red")}))
    t = v["trend"]
    out.append("<h2>近14天 · Last 14 days</h2>" + line_chart(
        t["days"], {"申报 declarations": t["declarations"], "黄 yellow": t["yellow"],
                    "红 red": t["red"], "预约 reserved": t["reserved"]}))
    out.append("<h2>分区 · By district</h2><table><tr><th>区 District</th><th>申报</th>"
               "<th>绿</th><th>黄</th><th>红</th><th>居家隔离</th><th>预约</th>"
               "<th>14天 trend</th></tr>")
    for d in districts:
        out.append(f"<tr><td>{escape(d['zh'])} {escape(d['en'])}</td><td>{d['declarations']}"
                   f"</td><td>{d['green']}</td><td>{d['yellow']}</td><td>{d['red']}</td>"
                   f"<td>{d['quarantine_home']}</td><td>{d['reserved']}</td>"
                   f"<td>{sparkline(d['trend'])}</td></tr>")
    out.append("</table>")
    if v["streets"]:
        out.append("<h2>分街道 · By street</h2><table><tr><th>区 / 街道</th><th>申报</th>"
                   "<th>黄</th><th>红</th><th>居家隔离</th></tr>")
        for s in v["streets"]:
            out.append(f"<tr><td>{escape(s['district'])} / {escape(s['name'])}</td>"
                       f"<td>{_cell(s['declarations'])}</td><td>{_cell(s['yellow'])}</td>"
                       f"<td>{_cell(s['red'])}</td><td>{_cell(s['quarantine_home'])}</td></tr>")
        out.append("</table>")
    out.extend(_below_district(v))
    if v["stock"]:
        out.append("<h2>门店库存 · Stock by store</h2><table><tr><th>门店 Store</th>"
                   "<th>物资</th><th>投放</th><th>剩余</th></tr>")
        for st in v["stock"]:
            out.append(f"<tr><td>{escape(st['name'])} ({escape(st['store'])})</td><td>"
                       f"{escape(st['product'])}</td><td>{st['released']}</td>"
                       f"<td>{st['left']}</td></tr>")
        out.append("</table>")
    out.append("</body></html>")
    return "".join(out)


def _table(title: str, heads: list[str], rows: list[list[Any]]) -> list[str]:
    if not rows:
        return []
    return [f"<h2>{title}</h2><table><tr>" + "".join(f"<th>{h}</th>" for h in heads) + "</tr>",
            *("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>" for row in rows),
            "</table>"]


def _below_district(v: dict[str, Any]) -> list[str]:
    """Screenings by community and by building (district → community → building),
    declarations and screenings by building, check-ins by venue (each cell as the view
    shows it: under the threshold as "<k")."""
    screen = v["screenings"]
    return [
        *_table("楼栋排查分社区 · Screenings by community",
                ["区 / 社区", "排查", "走访户数", "居家隔离", "外地返回"],
                [[f"{c['district']} / {c['name']}", c["records"], c["households"],
                  c["people_quarantine"], c["people_returned"]]
                 for c in screen["communities"]]),
        *_table("楼栋排查分楼栋 · Screenings by building",
                ["区 / 社区 / 楼栋", "排查", "走访户数", "在家", "居家隔离", "外地返回"],
                [[f"{b['district']} / {b['name']} / {b['place']}", b["records"],
                  b["households"], b["people_home"], b["people_quarantine"],
                  b["people_returned"]] for b in screen["buildings"]]),
        *_table("分楼栋 · By building", ["区 / 社区 / 楼栋", "申报", "黄+红", "排查",
                                       "居家隔离", "外地返回"],
                [[f"{b['district']} / {b['name']} / {b['place']}", b["declarations"],
                  b["yellow_red"], b["screenings"], b["people_quarantine"],
                  b["people_returned"]] for b in v["buildings"]]),
        *_table("场所登记 · Check-ins at venues", ["区 / 场所", "登记"],
                [[f"{x['district']} / {x['venue']}", x["count"]]
                 for x in v["checkins"]["venues"]]),
    ]
