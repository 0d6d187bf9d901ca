"""Shared fixtures: the real intents folder and one builtin interpreter trained from it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.nlu.builtin import BuiltinInterpreter

ROOT = Path(__file__).resolve().parents[2]
INTENTS_DIR = ROOT / "intents"
HELDOUT_FILE = Path(__file__).with_name("heldout.yml")


def heldout_cases() -> list[tuple[str, str]]:
    """(text, intent) pairs written for testing only (not in intents/nlu.yml)."""
    data = yaml.safe_load(HELDOUT_FILE.read_text(encoding="utf-8"))
    return [(text, intent) for intent, texts in data.items() for text in texts]


@pytest.fixture(scope="session")
def builtin() -> BuiltinInterpreter:
    return BuiltinInterpreter.from_dir(INTENTS_DIR)
