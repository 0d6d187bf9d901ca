"""The live view's snapshot, kept by deltas, equals a full read after every random mix
of events (today's and a day before), folds and reads; merge patches rebuild the
summary they were made from (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import timedelta

from bot.services.ops.clock import city_day
from bot.services.ops.counters import Tally, count
from bot.services.ops.fold import fold
from bot.services.ops.incremental import Live, refresh
from bot.services.ops.merge import apply_patch, merge_patch
from bot.services.ops.snapshot import read
from bot.services.ops.summary import TOP_BUILDINGS, summary
from bot.web.keys import HUB_KEY

DISTRICTS = ["jiangan", "wuchang", "hongshan", ""]
STREETS = ["花桥街 一村社区", "中南路街", "珞南街 桂元社区", ""]
PLACES = ["1号楼", "2号楼", "3号楼", ""]
METRICS = ["decl.total", "decl.green", "decl.yellow", "decl.red", "screen.records",
           "screen.returned", "checkins", "res.reserved", "filings.submitted"]


def _nonzero(counter: Counter) -> Counter:  # type: ignore[type-arg]
    return Counter({k: n for k, n in counter.items() if n})


def _no_nulls(value):  # type: ignore[no-untyped-def]
    """A document as a merge patch leaves it (RFC 7386 cannot set a member to null)."""
    if isinstance(value, dict):
        return {k: _no_nulls(v) for k, v in value.items() if v is not None}
    return value


async def test_live_snapshot_equals_a_full_read(client):  # type: ignore[no-untyped-def]
    hub = client.app[HUB_KEY]
    rng = random.Random(1616)
    state = Live()
    docs: dict = {}
    checked = 0
    for step in range(70):
        kind = rng.random()
        if kind < 0.75:
            now = hub.clock.now()
            at = now - timedelta(days=1) if rng.random() < 0.1 else now
            tallies = [Tally(rng.choice(METRICS), rng.randrange(1, 5),
                             rng.choice(DISTRICTS), rng.choice(STREETS), rng.choice(PLACES))
                       for _ in range(rng.randrange(1, 4))]
            async with hub.db.sessions.begin() as session:
                await count(session, at, *tallies)
        elif kind < 0.9:
            await fold(hub)
        if step % 3 and step != 69:
            continue
        now = hub.clock.now()
        day = city_day(hub.settings, now)
        live = await refresh(hub, state, day, now)
        full = await read(hub, day, now)
        assert _nonzero(live.area) == _nonzero(full.area)
        assert _nonzero(live.trend) == _nonzero(full.trend)
        for scope in (None, "wuchang", "jiangan"):
            for top in (None, TOP_BUILDINGS):
                assert summary(live, hub.settings, scope, top) == summary(
                    full, hub.settings, scope, top), (step, scope, top)
            doc = summary(live, hub.settings, scope, TOP_BUILDINGS)
            if scope in docs:  # what a stream sends rebuilds what /summary answers
                assert apply_patch(docs[scope], merge_patch(docs[scope], doc)) == _no_nulls(doc)
            docs[scope] = _no_nulls(doc)
        checked += 1
    assert checked > 20
    # the day before's events reached the trend, folded or not
    assert summary(live, hub.settings)["trend"]["declarations"][-2] > 0


def test_merge_patch_round_trip() -> None:
    rng = random.Random(7386)

    def value(depth: int):  # type: ignore[no-untyped-def]
        kind = rng.random()
        if depth < 3 and kind < 0.3:
            return {rng.choice("abcde"): value(depth + 1) for _ in range(rng.randrange(4))}
        if kind < 0.45:
            return [rng.randrange(3) for _ in range(rng.randrange(3))]
        return rng.choice([0, 1, 2, "<3", 1.5, True, "x"])

    for _ in range(500):
        old, new = value(0), value(0)
        old = old if isinstance(old, dict) else {"v": old}
        new = new if isinstance(new, dict) else {"v": new}
        patch = merge_patch(old, new)
        assert json.dumps(apply_patch(old, patch), sort_keys=True) == json.dumps(
            new, sort_keys=True)  # 1 and true differ in JSON
        assert (patch == {}) == (json.dumps(old, sort_keys=True) == json.dumps(
            new, sort_keys=True))
    assert merge_patch({"a": {"b": 1, "c": [1]}}, {"a": {"b": 2, "c": [1]}}) == {"a": {"b": 2}}
    assert merge_patch({"a": 1, "b": 2}, {"a": 1}) == {"b": None}
    assert merge_patch({"a": 1}, {"a": True}) == {"a": True}  # 1 == True, still a change
