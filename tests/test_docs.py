"""The docs stay true to the code: settings documented, README opens with the commands."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from bot.config import describe_settings

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [key for key, env, _, _ in describe_settings()
               if f"`{key}`" not in doc or f"`{env}`" not in doc]
    assert not missing, f"add to docs/configuration.md: {missing}"


def test_readme_opens_with_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    block = lines[lines.index("```sh") + 1:lines.index("```sh") + 3]
    assert block[0].startswith("make serve") and block[1].startswith("make test")


@pytest.mark.parametrize("module", ["bot.channels", "bot.dialogue.slots", "codes",
                                    "bot.db", "bot.db.models"])
def test_public_names_exist(module: str) -> None:
    mod = importlib.import_module(module)
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.__all__ names missing {name}"


def test_every_environment_variable_the_code_reads_is_documented() -> None:
    import re

    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    sources = [p for folder in ("bot", "codes", "tests", "bench")
               for p in (ROOT / folder).rglob("*.py")]
    sources += [ROOT / "Makefile", ROOT / ".ci" / "run"]
    names = {name for path in sources
             for name in re.findall(r"TONGGUAN_[A-Z0-9_]+", path.read_text(encoding="utf-8"))}
    assert names, "the scan found nothing: wrong folders?"
    missing = sorted(name for name in names if f"`{name}`" not in doc)
    assert not missing, f"add to docs/configuration.md: {missing}"
