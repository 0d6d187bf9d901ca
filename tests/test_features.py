"""The one feature list (bot/features.py) and the hub's typed parts."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from bot.assembly import action_hub
from bot.cli import build_parser
from bot.config import load_settings
from bot.features import FEATURES
from bot.hub import MediaSources, Parts
from tests.conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parent.parent


def test_names_are_unique_and_migrations_exist() -> None:
    names = [f.name for f in FEATURES]
    assert len(names) == len(set(names))
    revisions = {p.stem for p in (ROOT / "bot/db/migrations/versions").glob("*.py")}
    claimed = [r for f in FEATURES for r in f.migrations]
    assert len(claimed) == len(set(claimed))
    assert set(claimed) <= revisions


def test_the_parser_lists_the_application_commands_then_each_features() -> None:
    parser = build_parser()
    [sub] = [a for a in parser._actions if a.dest == "command"]
    names = list(sub.choices)
    assert names[:7] == ["serve", "db", "flows", "records", "handoffs", "chat", "demo"]
    groups = ["keys", "code", "declarations", "parse", "wechat", "stores", "supply"]
    assert [n for n in names if n in groups] == groups  # in the order of FEATURES


def test_every_feature_registers_its_actions_and_media() -> None:
    settings = dataclasses.replace(load_settings(ROOT / "config.yml", env={}),
                                   database_url="sqlite+aiosqlite:///:memory:",
                                   secret_key=TEST_SECRET)
    hub = action_hub(settings)
    prefixes = {name.split(".")[0] for name in hub.actions.names()}
    assert prefixes == {"records", "declarations", "reservations", "wechat", "filings",
                        "privacy"}
    assert hub.media.prefixes() == ["/code/"]


async def test_media_sources_pick_the_longest_prefix() -> None:
    media = MediaSources()

    async def anything(url: str) -> bytes | None:
        return b"any"

    async def codes(url: str) -> bytes | None:
        return b"code"

    media.register("/", anything)
    media.register("/code/", codes)
    assert media.getter("/code/x/qr.png") is codes
    assert media.getter("/pickup/1/qr.png") is anything
    assert MediaSources().getter("/code/x/qr.png") is None


def test_parts_are_kept_by_class() -> None:
    class Thing:
        pass

    parts = Parts()
    assert parts.get(Thing) is None and Thing not in parts
    made = parts.setdefault(Thing, Thing)
    assert parts.setdefault(Thing, Thing) is made is parts.get(Thing)


def test_the_hub_knows_no_feature_and_not_the_dialogue() -> None:
    tree = ast.parse((ROOT / "bot/hub.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    bad = {m for m in imported if m and m.startswith(
        ("bot.dialogue", "bot.nlu", "bot.features", "bot.assembly", "bot.web", "bot.cli"))}
    assert bad == set()
