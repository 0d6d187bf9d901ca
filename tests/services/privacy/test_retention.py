"""The retention job on SQLite and PostgreSQL: exactly what is older than its kind's days
goes (deleted or anonymised), in batches; an official status in force keeps its
subject's data; the operations view's counts do not move; the run is logged (counts
only) and audited; bad settings are config errors."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.assembly import open_hub
from bot.clock import FixedClock
from bot.config import load_settings
from bot.db.models.core import Turn
from bot.errors import ConfigError
from bot.services.declarations import declarations, set_status
from bot.services.declarations.checkins import add_venue, record_checkin, venue_for
from bot.services.privacy.holds import place_hold
from bot.services.privacy.retention import RetentionError, read_log, run_retention
from tests.conftest import ROOT, make_settings
from tests.services.privacy.support import (
    NEW_ID,
    OFFICIAL_ID,
    OLD_ID,
    add_rows,
    column,
    declare,
    ops_totals,
    subject_of,
)

T0 = datetime(2020, 2, 1, 2, 0, tzinfo=UTC)


async def test_retention_removes_what_is_older_keeps_the_rest_and_the_counts(
        database_url: str, tmp_path: Path) -> None:
    base = make_settings(database_url, tmp_path)
    settings = dataclasses.replace(base, retention=dataclasses.replace(
        base.retention, batch_size=2, audit_days=30, filings_days=30))
    clock = FixedClock(T0)
    async with open_hub(settings, clock=clock) as hub:
        svc = declarations(hub)
        token = await add_venue(svc, "mall", "商场")
        venue = await venue_for(svc, token)
        await declare(hub, "old", OLD_ID)
        await declare(hub, "off", OFFICIAL_ID, name="李四")
        await set_status(svc, subject=await subject_of(hub, "off"), color="red",
                         reason_zh="密接", reason_en="close contact", hours=24 * 365)
        await record_checkin(svc, venue, await subject_of(hub, "old"), T0)
        for tag in ("1", "2", "3"):
            await add_rows(hub, "old", tag, T0)
        clock.advance(days=100)
        await declare(hub, "new", NEW_ID, name="王五")
        await record_checkin(svc, venue, await subject_of(hub, "new"), clock.now())
        await add_rows(hub, "new", "9", clock.now())
        counts = await ops_totals(hub)
        assert counts["decl.total"] == 3 and counts["checkins"] == 2

        async with hub.db.sessions() as session:
            recent_turns = await session.scalar(sa.select(sa.func.count()).select_from(Turn)
                                                .where(Turn.at >= clock.now()))
        assert recent_turns >= 10  # new's declaration
        dry = await run_retention(hub, dry_run=True)
        assert await column(hub, "SELECT count(*) FROM health_declarations") == [3]
        report = await run_retention(hub, trigger="cli:test")
        assert report.to_json()["kinds"] == dry.to_json()["kinds"]
        kinds = {r.kind: (r.deleted, r.anonymised) for r in report.results}
        assert kinds["declarations"] == (1, 0)  # old's; the official subject's stays
        assert kinds["records"] == (3, 0) and kinds["handoffs"] == (3, 0)
        assert kinds["checkins"] == (1, 0) and kinds["audit"] == (3, 0)
        assert kinds["reservations"] == (0, 3) and kinds["filings"] == (0, 3)
        assert kinds["turns"][0] >= 28 and kinds["statuses"][0] >= 1

        assert sorted(await column(hub, "SELECT user_key FROM health_declarations")) == [
            "web:new", "web:off"]
        assert await column(hub, "SELECT count(*) FROM turns") == [recent_turns]
        assert sorted(await column(hub, "SELECT source FROM health_statuses WHERE active")
                      ) == ["declaration", "official"]
        assert await column(hub, "SELECT user_key FROM records") == ["web:new"]
        assert await column(hub, "SELECT user_key FROM handoffs") == ["web:new"]
        assert await column(hub, "SELECT actor FROM staff_audit WHERE action = 'login'"
                            ) == ["staff:9"]
        assert await column(hub, "SELECT count(*) FROM checkins") == [1]
        assert sorted(await column(hub, "SELECT user_id FROM supply_reservations")) == [
            "", "", "", "new"]
        assert sorted(await column(hub, "SELECT user_key FROM filings")) == ["", "", "", "web:new"]
        for blob in await column(hub, "SELECT private FROM filings WHERE user_key = ''"):
            assert hub.sealer.open(bytes(blob), context=b"filing") == {}
        assert await ops_totals(hub) == counts  # the operations view's numbers stay

        logged = {r.kind: (r.deleted, r.anonymised) for r in await read_log(hub)}
        assert logged == kinds
        assert await column(hub, "SELECT actor FROM staff_audit WHERE action = 'retention.run'"
                            ) == ["cli:test"]
        again = await run_retention(hub)  # nothing more is due
        assert all(r.deleted == r.anonymised == 0 for r in again.results)


async def test_zero_days_keeps_a_kind_and_unknown_kinds_are_refused(
        database_url: str, tmp_path: Path) -> None:
    base = make_settings(database_url, tmp_path)
    settings = dataclasses.replace(base, retention=dataclasses.replace(
        base.retention, records_days=0))
    clock = FixedClock(T0)
    async with open_hub(settings, clock=clock) as hub:
        await add_rows(hub, "old", "1", T0)
        clock.advance(days=1000)
        report = await run_retention(hub, kinds=["records", "handoffs"])
        assert [(r.kind, r.deleted) for r in report.results] == [("records", 0),
                                                                 ("handoffs", 1)]
        assert await column(hub, "SELECT count(*) FROM records") == [1]
        with pytest.raises(RetentionError, match="unknown kind 'emails'"):
            await run_retention(hub, kinds=["emails"])
        await add_rows(hub, "held", "2", T0)  # old as well, but under a legal hold
        await place_hold(hub, "web:held", "court order", actor="cli:test")
        report = await run_retention(hub, kinds=["handoffs", "reservations", "filings"])
        assert [(r.deleted, r.anonymised) for r in report.results] == [(0, 0), (0, 1),
                                                                       (0, 1)]  # old's only
        assert await column(hub, "SELECT user_key FROM handoffs") == ["web:held"]


def test_negative_days_and_unknown_retention_settings_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="retention.turns_days"):
        load_settings(ROOT / "config.yml", env={"TONGGUAN_RETENTION_TURNS_DAYS": "-1"})
    bad = tmp_path / "c.yml"
    bad.write_text("secret_key: test-secret-0123456789abcdef0123456789abcdef\n"
                   "retention:\n  emails_days: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="retention.emails_days"):
        load_settings(bad, env={})
    with pytest.raises(ConfigError, match="retention.batch_size"):
        load_settings(ROOT / "config.yml", env={"TONGGUAN_RETENTION_BATCH_SIZE": "0"})
