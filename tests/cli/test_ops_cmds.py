"""``tongguan ops report``: the day's numbers as CSV, HTML and PDF from the command line,
for the city or a district; bad input is one line and exit 2 (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pdf_support import pdf_text

from bot.services.declarations import Person, declarations, declare
from bot.services.ops.clock import city_day
from bot.web.keys import HUB_KEY
from tests.roles_support import tongguan
from tests.web.test_ops_api import id_number

SICK = {"temperature": 38.5}  #: a yellow code at least


async def test_ops_report_from_the_command_line(client, settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    hub = client.app[HUB_KEY]
    calm = {"street": "汉中街", "temperature": 36.5, "symptoms": ["none"], "travel": ["none"],
            "contact": False, "quarantine": "free"}
    plan = [("qiaokou", {})] * 3 + [("qiaokou", SICK)] + [("hanyang", {})] * 2
    for n, (district, answers) in enumerate(plan):
        await declare(declarations(hub), person=Person("孙八", id_number(100 + n), None),
                      answers={**calm, "district": district, **answers},
                      user_key=f"web:r{n}", proxy=False)
    day = city_day(hub.settings, hub.clock.now()).isoformat()

    csv_out = tongguan(settings, "ops", "report", "--format", "csv", "--district", "qiaokou")
    assert csv_out.returncode == 0, csv_out.stderr
    assert f"date,,,{day}" in csv_out.stdout and "scope,,,qiaokou" in csv_out.stdout
    assert "declarations,qiaokou,total,4" in csv_out.stdout
    assert "district,hanyang" not in csv_out.stdout  # one district's report: only it

    html = tongguan(settings, "ops", "report", "--date", day)
    assert html.returncode == 0, html.stderr
    assert f'<b id="report-date">{day}</b>' in html.stdout
    assert 'data-field="declarations.total">合计 total<b>6</b>' in html.stdout

    pdf = tmp_path / "day.pdf"
    done = tongguan(settings, "ops", "report", "--format", "pdf", "--district", "qiaokou",
                    "--out", str(pdf))
    assert done.returncode == 0 and done.stdout == "", done.stderr
    shown = pdf_text(pdf.read_bytes())
    assert any(f"日期 Date: {day}" in s and "qiaokou" in s for s in shown)
    colours = {row.split(",")[2]: row.split(",")[3] for row in csv_out.stdout.splitlines()
               if row.startswith("declarations,qiaokou,")}
    assert colours["green"] == "3" and int(colours["yellow"]) + int(colours["red"]) == 1
    at = shown.index("健康申报 · Declarations")  # the same numbers as the CSV's
    assert shown[at + 1:at + 9] == ["合计 total", "绿码 green", "黄码 yellow", "红码 red",
                                    "4", "3", colours["yellow"], colours["red"]]

    yesterday = (city_day(hub.settings, hub.clock.now()) - timedelta(days=1)).isoformat()
    before = tongguan(settings, "ops", "report", "--format", "csv", "--date", yesterday)
    assert before.returncode == 0 and "declarations,city,total,0" in before.stdout

    for args, says in ((["--district", "pudong"], "wuchang"), (["--date", "10/02/2020"],
                                                               "YYYY-MM-DD")):
        bad = tongguan(settings, "ops", "report", *args)
        assert bad.returncode == 2 and says in bad.stderr and "Traceback" not in bad.stderr
        assert bad.stdout == ""
