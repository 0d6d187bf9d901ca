"""Pre-screen rules (filing_rules.yml), auto-approval, reloads; staff origins typed in
chat; the district list is the health declaration's."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml
from filing_support import START, body

from bot.clock import FixedClock
from bot.errors import ActionError
from bot.hub import Hub
from bot.services.filings import FilingRulesError, filings, load_rules, submit
from bot.services.filings.catalog import DISTRICTS
from bot.services.filings.origins import parse_origins
from bot.services.filings.rules import parse_rules
from bot.services.filings.watch import reload_rules

ROOT = Path(__file__).resolve().parents[3]


def test_the_districts_are_the_health_declarations() -> None:
    flow = yaml.safe_load((ROOT / "flows/health_declaration.yml").read_text(encoding="utf-8"))
    [step] = [s for s in flow["steps"] if s.get("collect") == "district"]
    assert [(o["value"], o["zh"], o["en"]) for o in step["options"]] == [
        (d.value, d.zh, d.en) for d in DISTRICTS]


def test_the_shipped_rules_load_and_flag() -> None:
    rules = load_rules(ROOT / "filing_rules.yml")
    facts = {"staff_risk_14d": 2, "isolation_rooms": 0, "masks_days": 6,
             "thermometers_days": 7, "capacity_percent": 81}
    assert [f["id"] for f in rules.screen(facts)] == ["risk_staff_no_isolation", "masks_short",
                                                      "capacity_week_one"]
    calm = {"staff_risk_14d": 2, "isolation_rooms": 1, "masks_days": 7,
            "thermometers_days": 7, "capacity_percent": 80}
    assert rules.screen(calm) == [] and rules.auto_approve_without_flags is False


@pytest.mark.parametrize("data,problem", [
    ({}, "needs a list of 'flags'"),
    ({"flags": [{"id": "x", "when": {"slot": "masks", "lt": 7},
                 "reason": {"zh": "a", "en": "b"}}]}, "unknown fact(s) masks"),
    ({"flags": [{"id": "x", "when": {"slot": "masks_days", "lt": "7"},
                 "reason": {"zh": "a", "en": "b"}}]}, "compares numbers"),
    ({"flags": [{"id": "x", "when": {"slot": "masks_days", "lt": 7},
                 "reason": {"zh": "a"}}]}, "zh and en"),
    ({"flags": [], "auto_approve_without_flags": "yes"}, "true or false"),
])
def test_bad_rules_are_refused_naming_the_entry(data, problem) -> None:
    with pytest.raises(FilingRulesError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        parse_rules(data)


async def _hub(database_url: str, tmp_path: Path, rules: Path) -> Hub:
    from bot.hub import base_hub
    from tests.conftest import make_settings

    settings = make_settings(database_url, tmp_path)
    settings = dataclasses.replace(settings, filings=dataclasses.replace(
        settings.filings, rules_file=rules))
    return base_hub(settings, clock=FixedClock(START))


async def test_auto_approval_without_flags_and_a_reload(database_url, tmp_path) -> None:
    path = tmp_path / "rules.yml"
    text = (ROOT / "filing_rules.yml").read_text(encoding="utf-8")
    path.write_text(text.replace("auto_approve_without_flags: false",
                                 "auto_approve_without_flags: true"), encoding="utf-8")
    hub = await _hub(database_url, tmp_path, path)
    try:
        ctx = filings(hub)
        calm = await submit(ctx, body(1), user_key="web:a", lang="zh")
        assert calm.state == "approved" and calm.notice_no == "JIANGAN-00001"
        flagged = await submit(ctx, body(2, capacity_percent=95), user_key="web:b", lang="zh")
        assert flagged.state == "submitted" and flagged.notice_no is None
        assert [f["id"] for f in flagged.flags] == ["capacity_week_one"]
        second = await submit(ctx, body(3), user_key="web:c", lang="en")
        assert second.notice_no == "JIANGAN-00002"
        # a broken edit keeps the live rules; a good one replaces them
        seen = reload_rules(ctx, None)
        version = ctx.rules.version
        path.write_text("flags: [oops", encoding="utf-8")
        seen = reload_rules(ctx, seen)
        assert ctx.rules.version == version
        path.write_text(text, encoding="utf-8")
        reload_rules(ctx, seen)
        assert ctx.rules.auto_approve_without_flags is False
        later = await submit(ctx, body(4), user_key="web:d", lang="zh")
        assert later.state == "submitted"
    finally:
        await hub.db.dispose()


def test_origins_typed_in_chat() -> None:
    assert parse_origins("湖北武汉 12, 河南信阳 3") == [
        {"province": "湖北", "city": "武汉", "count": 12},
        {"province": "河南", "city": "信阳", "count": 3}]
    assert parse_origins("湖北省武汉市12人；黑龙江哈尔滨 2、北京 1") == [
        {"province": "湖北", "city": "武汉市", "count": 12},
        {"province": "黑龙江", "city": "哈尔滨", "count": 2},
        {"province": "北京", "city": "北京", "count": 1}]
    assert parse_origins("Hubei Wuhan 12; Henan Xinyang 3")[1] == {
        "province": "Henan", "city": "Xinyang", "count": 3}
    assert parse_origins("无") == [] and parse_origins("none") == []
    for bad in ("武汉 12", "湖北武汉", "湖北武汉 0", "，，"):
        with pytest.raises(ActionError) as err:
            parse_origins(bad)
        assert "省份城市 人数" in err.value.zh and "province city count" in err.value.en
