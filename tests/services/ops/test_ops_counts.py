"""The operations view's counts equal a recount of the rows they count, after a random
mix of events and folds (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from collections import Counter

import sqlalchemy as sa

from bot.db.models import Handoff
from bot.db.models.codes_log import CodeIssue
from bot.db.models.declarations import Checkin, HealthDeclaration, HealthStatus
from bot.services.declarations import Person, declarations, declare
from bot.services.declarations.checkins import add_venue, record_checkin, venue_for
from bot.services.ops.clock import city_day
from bot.services.ops.counters import clean
from bot.services.ops.fold import fold
from bot.services.ops.snapshot import read, version
from bot.services.ops.summary import summary
from bot.web.keys import HUB_KEY

DISTRICTS = ["jiangan", "jianghan", "wuchang", "other"]
STREETS = ["花桥街 一村社区", "  花桥街   一村社区 ", "水果湖街", "中南路街", "=cmd"]
WEIGHTS = (7, 9, 10, 5, 8, 4, 3, 2, 1, 7, 9, 10, 5, 8, 4, 3, 2)
CHECK = "10X98765432"


def id_number(n: int) -> str:
    """A valid GB 11643 ID number (the n-th of a series)."""
    body = f"420102198001{n % 28 + 1:02d}{n % 1000:03d}"[:17]
    return body + CHECK[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


async def _recount(hub) -> tuple[Counter, Counter]:  # type: ignore[no-untyped-def]
    """Totals and (district, street) counts straight from the rows."""
    totals: Counter = Counter()
    streets: Counter = Counter()
    latest: dict[str, dict] = {}  # a person's last declaration of the day
    async with hub.db.sessions() as session:
        for subject, sealed, color in (await session.execute(
                sa.select(HealthDeclaration.subject, HealthDeclaration.answers,
                          HealthDeclaration.color).order_by(HealthDeclaration.id))).all():
            answers = latest[subject] = hub.sealer.open(sealed)
            area = (answers["district"], clean(answers["street"], "street"))
            for metric in ("decl.total", f"decl.{color}"):
                totals[metric] += 1
                streets[(*area, metric)] += 1
        # home quarantine counts people (where they last said they were), not declarations
        for answers in latest.values():
            if answers["quarantine"] == "home":
                totals["quarantine.home"] += 1
                streets[(answers["district"], clean(answers["street"], "street"),
                         "quarantine.home")] += 1
        totals["codes.issued"] = await session.scalar(sa.select(sa.func.count()).select_from(
            HealthStatus))
        totals["codes.revoked"] = await session.scalar(sa.select(sa.func.count()).where(
            HealthStatus.active.is_(False)))
        totals["checkins"] = await session.scalar(sa.select(sa.func.count()).select_from(
            Checkin))
        totals["codes.paper"] = await session.scalar(sa.select(sa.func.count()).select_from(
            CodeIssue))
    return totals, streets


async def test_counts_equal_a_recount_after_random_events_and_folds(client):  # type: ignore[no-untyped-def]
    hub = client.app[HUB_KEY]
    svc = declarations(hub)
    rng = random.Random(16)
    await add_venue(svc, "mall-1", "武商广场")
    venue = await venue_for(svc, await add_venue(svc, "mall-2", "群光广场"))
    assert venue is not None
    people = [id_number(i) for i in range(12)]
    before = await version(hub, city_day(hub.settings, hub.clock.now()))
    for step in range(60):
        kind = rng.random()
        if kind < 0.7:
            n = rng.randrange(len(people))
            await declare(svc, person=Person(f"测试{n}", people[n], None), answers={
                "district": rng.choice(DISTRICTS), "street": rng.choice(STREETS),
                "temperature": rng.choice([36.5, 36.6, 37.9, 38.6]),
                "symptoms": [rng.choice(["none", "cough"])], "travel": ["none"],
                "contact": rng.random() < 0.15,
                "quarantine": rng.choice(["free", "home", "central"])},
                user_key=f"web:p{n}", proxy=False)
        elif kind < 0.85:
            await record_checkin(svc, venue, f"s{step}", hub.clock.now())
        else:
            await fold(hub)
        if step == 0:
            assert await version(hub, city_day(hub.settings, hub.clock.now())) != before
    totals, streets = await _recount(hub)
    assert totals["decl.total"] > 30 and totals["codes.revoked"] > 0
    now = hub.clock.now()
    for folded_first in (False, True):  # pending events and folded counts read alike
        if folded_first:
            await fold(hub)
        snap = await read(hub, city_day(hub.settings, now), now)
        got: Counter = Counter()
        by_street: Counter = Counter()
        for (district, street, _place, metric), n in snap.area.items():
            got[metric] += n
            if street:
                by_street[(district, street, metric)] += n
        for metric in ("decl.total", "decl.green", "decl.yellow", "decl.red",
                       "quarantine.home", "codes.issued", "codes.revoked", "checkins"):
            assert got[metric] == totals[metric], metric
        assert +by_street == +streets
        view = summary(snap, hub.settings)
        assert view["declarations"]["total"] == totals["decl.total"]
        assert sum(d["declarations"] for d in view["districts"]) == totals["decl.total"]
        assert view["checkins"]["total"] == totals["checkins"]
        assert view["trend"]["declarations"][-1] == totals["decl.total"]
        for name, metric in (("codes_issued", "codes.issued"), ("checkins", "checkins"),
                             ("quarantine_home", "quarantine.home"),
                             ("codes_revoked", "codes.revoked")):  # the 14 days of each
            assert view["trend"][name] == [0] * 13 + [totals[metric]], name
        jiangan = summary(snap, hub.settings, "jiangan")
        assert jiangan["declarations"]["total"] == sum(
            n for (d, _s, m), n in streets.items() if d == "jiangan" and m == "decl.total")
        assert all(s["district"] == "jiangan" for s in jiangan["streets"])
    async with hub.db.sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Handoff)) == 0


async def test_small_cells_below_district_level(client):  # type: ignore[no-untyped-def]
    hub = client.app[HUB_KEY]
    svc = declarations(hub)
    answers = {"district": "hanyang", "temperature": 36.5, "symptoms": ["none"],
               "travel": ["none"], "contact": False, "quarantine": "free"}
    plan = [("鹦鹉街", 4), ("洲头街", 2), ("四新街", 1)]
    n = 0
    for street, times in plan:
        for _ in range(times):
            n += 1
            fever = {"temperature": 38.6, "quarantine": "home"} if n == 1 else {}
            await declare(svc, person=Person("王五", id_number(100 + n), None),
                          answers={**answers, "street": street, **fever},
                          user_key=f"web:s{n}", proxy=False)
    now = hub.clock.now()
    view = summary(await read(hub, city_day(hub.settings, now), now), hub.settings, "hanyang")
    assert view["declarations"]["total"] == 7  # district totals stay exact
    rows = {r["name"]: r for r in view["streets"]}
    assert rows["鹦鹉街"]["declarations"] == 4 and rows["鹦鹉街"]["quarantine_home"] == "<3"
    assert {rows["鹦鹉街"]["yellow"], rows["鹦鹉街"]["red"]} == {"<3", 0}  # one person
    assert rows["鹦鹉街"]["green"] == 3
    # the two small streets are one "other" row, and its 3 is shown; no name of theirs
    assert "洲头街" not in rows and "四新街" not in rows
    other = rows["(其他 / other)"]
    assert other["declarations"] == 3 and other["yellow"] == 0
    assert view["districts"][0]["declarations"] == 7
    lone = summary(await read(hub, city_day(hub.settings, now), now), hub.settings)
    assert lone["declarations"]["total"] == 7
