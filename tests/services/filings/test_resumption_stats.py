"""What the city sees: the firm register, the resumption rate by district and industry
(with and without a register, scoped to a reviewer's district) and the analysis report."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from filing_support import body, make_uscc
from staff_support import staff_login

from bot.services.filings.firms import import_firms
from bot.services.filings.report import build_report, report_csv, report_html

ROOT = Path(__file__).resolve().parents[3]


async def _file(api, n: int, **changes) -> int:  # type: ignore[no-untyped-def]
    headers, _ = await api.new_resident()
    resp = await api.client.post("/api/v1/filings", json=body(n, **changes), headers=headers)
    assert resp.status == 201, await resp.text()
    return int((await resp.json())["id"])


async def _decide(api, admin, filing_id: int, decision: str) -> None:  # type: ignore[no-untyped-def]
    seen = await (await api.client.get(f"/api/v1/filings/{filing_id}", headers=admin)).json()
    resp = await api.client.post(f"/api/v1/filings/{filing_id}/decision", headers=admin,
                                 json={"decision": decision, "reason": "核查完毕 checked",
                                       "version": seen["version"]})
    assert resp.status == 200, await resp.text()


async def _city(api) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """Three jiangan firms (two approved), one wuchang retail firm (rejected)."""
    admin = await staff_login(api.client, "city-admin", "admin")
    a = await _file(api, 1)
    b = await _file(api, 2)
    await _file(api, 3, supplies_days={"masks": 3, "thermometers": 30, "disinfectant": 2},
                needs=["hiring"])
    d = await _file(api, 4, district="wuchang", industry="retail",
                    staff_origins=[{"province": "河南", "city": "信阳", "count": 15}],
                    staff_returning=15)
    await _decide(api, admin, a, "approve")
    await _decide(api, admin, b, "approve")
    await _decide(api, admin, d, "reject")
    return {"admin": admin}


async def test_rate_without_a_register_counts_the_firms_that_filed(api) -> None:
    who = await _city(api)
    resp = await api.client.get("/api/v1/stats/resumption?by=district", headers=who["admin"])
    assert resp.status == 200
    data = await resp.json()
    assert data["by"] == "district"
    assert data["rows"] == [
        {"key": "jiangan", "firms": 3, "filed": 3, "approved": 2, "rate": 0.6667},
        {"key": "wuchang", "firms": 1, "filed": 1, "approved": 0, "rate": 0.0}]
    by_industry = await (await api.client.get("/api/v1/stats/resumption?by=industry",
                                              headers=who["admin"])).json()
    assert [(r["key"], r["approved"]) for r in by_industry["rows"]] == [
        ("manufacturing", 2), ("retail", 0)]
    bad = await api.client.get("/api/v1/stats/resumption?by=street", headers=who["admin"])
    assert bad.status == 422


async def test_a_register_is_the_denominator_and_imports_all_or_nothing(api) -> None:
    who = await _city(api)
    good = "uscc,name,industry,district\n" + "".join(
        f"{make_uscc(n)},厂{n},manufacturing,jiangan\n" for n in range(1, 11))
    bad = good + f"{make_uscc(11)[:-1]}X,坏,manufacturing,jiangan\n,x,retail,nowhere\n"
    refused = await import_firms(api.hub, bad)
    assert not refused.applied and refused.invalid == 2
    assert [line for line, _ in refused.errors] == [12, 13]
    before = await (await api.client.get("/api/v1/stats/resumption",
                                         headers=who["admin"])).json()
    assert before["rows"][0]["firms"] == 3  # nothing of the bad file applied
    dry = await import_firms(api.hub, good, dry_run=True)
    assert dry.valid == 10 and not dry.applied
    assert (await import_firms(api.hub, good)).applied
    assert (await import_firms(api.hub, good)).applied  # the same file again: no change
    rows = (await (await api.client.get("/api/v1/stats/resumption",
                                        headers=who["admin"])).json())["rows"]
    assert rows == [
        {"key": "jiangan", "firms": 10, "filed": 3, "approved": 2, "rate": 0.2},
        {"key": "wuchang", "firms": 0, "filed": 1, "approved": 0, "rate": 0.0}]


async def test_district_scope_and_wrong_callers(api) -> None:
    await _city(api)
    reviewer = await staff_login(api.client, "jiangan-rev", "reviewer", district="jiangan")
    mine = await (await api.client.get("/api/v1/stats/resumption", headers=reviewer)).json()
    assert [r["key"] for r in mine["rows"]] == ["jiangan"] and mine["district"] == "jiangan"
    other = await api.client.get("/api/v1/stats/resumption?district=wuchang",
                                 headers=reviewer)
    assert other.status == 403
    assert (await api.client.get("/api/v1/stats/resumption",
                                 headers=api.resident)).status == 401
    store = await staff_login(api.client, "worker", "community_worker")
    assert (await api.client.get("/api/v1/stats/resumption", headers=store)).status == 403


async def test_the_analysis_report(api) -> None:
    who = await _city(api)
    report = await build_report(api.hub, charter_min=30)
    assert report.by_state["approved"] == 2 and report.by_state["rejected"] == 1
    # live filings only (the rejected wuchang firm's staff are not coming back)
    assert report.origins == [("湖北", "武汉", 120, 3), ("河南", "信阳", 60, 3)]
    assert (await build_report(api.hub, charter_min=100)).charters == [
        ("湖北", "武汉", 120, 3)]
    assert report.shortfalls == {"jiangan": {"masks": 1, "thermometers": 0,
                                             "disinfectant": 1}}
    assert report.needs == {"manufacturing": {"financing": 2, "hiring": 1,
                                              "raw_materials": 2}}
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    assert {"section": "returning_by_origin", "key": "湖北 武汉", "metric": "charter",
            "value": "1"} in rows
    page = report_html(report)
    assert "复工率" in page and "湖北 武汉" in page and "<script" not in page
    resp = await api.client.get("/api/v1/stats/resumption/report?format=csv",
                                headers=who["admin"])
    assert resp.status == 200 and resp.content_type == "text/csv"
    assert "rate_by_district,jiangan,rate,0.6667" in await resp.text()


def test_firms_import_and_report_commands(tmp_path: Path) -> None:
    from bot.db.migrate import upgrade

    db = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    upgrade(db)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TONGGUAN_DATABASE_URL": db,
           "TONGGUAN_LOG_LEVEL": "ERROR"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)

    register = tmp_path / "firms.csv"
    register.write_text("uscc,name,industry,district\n"
                        f"{make_uscc(1)},厂,manufacturing,jiangan\n"
                        f"{make_uscc(2)},店,shop,jiangan\n", encoding="utf-8")
    refused = run("firms", "import", str(register))
    assert refused.returncode == 1 and "line 3: industry" in refused.stderr
    register.write_text(f"{make_uscc(1)},厂,manufacturing,jiangan\n", encoding="utf-8")
    done = run("firms", "import", str(register))
    assert done.returncode == 0 and json.loads(done.stdout)["applied"] is True
    out = tmp_path / "r.html"
    report = run("filings", "report", "--format", "html", "--out", str(out))
    assert report.returncode == 0, report.stderr
    assert "复工复产分析报告" in out.read_text(encoding="utf-8")
    as_csv = run("filings", "report", "--district", "jiangan", "--format", "csv")
    assert "rate_by_district,jiangan,firms,1" in as_csv.stdout


async def _recount(api, by: str) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """The rates computed from scratch from the filings (what the counters must equal)."""
    import sqlalchemy as sa

    from bot.db.models.filings import Filing

    async with api.hub.db.sessions() as session:
        rows = (await session.execute(sa.select(Filing.id, Filing.uscc, Filing.state,
                                                getattr(Filing, by)))).all()
    latest: dict[str, str] = {}
    filed: dict[str, bool] = {}
    approved: dict[str, bool] = {}
    for _id, uscc, state, key in sorted(rows):
        latest[uscc] = key
        filed[uscc] = filed.get(uscc, False) or state != "withdrawn"
        approved[uscc] = approved.get(uscc, False) or state == "approved"
    out: dict[str, dict[str, int]] = {}
    for uscc, key in latest.items():
        row = out.setdefault(key, {"firms": 0, "filed": 0, "approved": 0})
        row["filed"] += filed[uscc]
        row["approved"] += approved[uscc]
        row["firms"] = row["filed"]
    return [{"key": k, **v, "rate": round(v["approved"] / v["firms"], 4) if v["firms"] else 0.0}
            for k, v in sorted(out.items()) if v["filed"] or v["approved"]]


async def test_counters_match_a_recount_after_every_kind_of_change(api) -> None:
    import random

    from bot.services.filings import FilingError, decide, resubmit, submit, withdraw
    from bot.services.filings.stats import resumption_rate

    rng = random.Random(5)
    districts = ("jiangan", "wuchang", "hanyang")
    industries = ("retail", "catering", "manufacturing")
    open_ids: dict[int, tuple[int, str]] = {}  # filing id → (firm, user_key)
    returned: dict[int, tuple[int, str]] = {}
    done: dict[object, int] = {}
    for step in range(120):
        move = rng.random()
        firm = rng.randrange(25)
        if move < 0.4 or not (open_ids or returned):
            user = f"web:firm{firm}"
            try:
                row = await submit(api.ctx, body(100 + firm, district=rng.choice(districts),
                                                 industry=rng.choice(industries)),
                                   user_key=user, lang="zh")
            except FilingError as err:  # an open filing of that firm exists: fine
                assert err.code == "open_filing_exists"
                continue
            open_ids[row.id] = (firm, user)
        elif move < 0.75 and open_ids:
            fid = rng.choice(list(open_ids))
            decision = rng.choice(("approve", "reject", "return"))
            await decide(api.ctx, fid, decision, "理由 reason", actor="staff:t", scope=None)
            firm_user = open_ids.pop(fid)
            if decision == "return":
                returned[fid] = firm_user
        elif move < 0.9 and returned:
            fid = rng.choice(list(returned))
            firm, user = returned.pop(fid)
            await resubmit(api.ctx, fid, body(100 + firm, district=rng.choice(districts),
                                               industry=rng.choice(industries)),
                           user_key=user)
            open_ids[fid] = (firm, user)
        elif open_ids:
            fid = rng.choice(list(open_ids))
            await withdraw(api.ctx, fid, user_key=open_ids.pop(fid)[1])
        done[move < 0.4 or "other"] = done.get(move < 0.4 or "other", 0) + 1
        if step % 30 == 29:
            for by in ("district", "industry"):
                got = [r.to_json() for r in await resumption_rate(api.hub, by)]  # type: ignore[arg-type]
                assert got == await _recount(api, by), (step, by)
    assert done[True] > 20 and done["other"] > 40  # filings made and changed
