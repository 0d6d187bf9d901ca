"""``tongguan parse`` as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import INTENTS_DIR, ROOT


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yml"
    path.write_text(f"secret_key: {'k' * 40}\nintents_dir: {INTENTS_DIR}\n"
                    "nlu:\n  backend: builtin\n", encoding="utf-8")
    return path


def tongguan(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGGUAN_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin,
                          capture_output=True, text=True, encoding="utf-8", env=env,
                          cwd=ROOT, timeout=120)


def test_parse_one_text(config: Path) -> None:
    done = tongguan("--config", str(config), "parse", "我想在洪山预约口罩")
    assert done.returncode == 0, done.stderr
    assert "\\u" not in done.stdout  # ensure_ascii=False
    data = json.loads(done.stdout)
    assert data["text"] == "我想在洪山预约口罩"
    assert data["intent"]["name"] == "reserve_supply"
    assert {(e["entity"], e["value"]) for e in data["entities"]} == {
        ("district", "hongshan"), ("product", "mask-adult")}
    assert data["intent_ranking"][0]["name"] == "reserve_supply"


def test_parse_stdin_lines(config: Path) -> None:
    done = tongguan("--config", str(config), "parse", stdin="hello\n转人工\n\nasdkjh qwe\n")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [d["text"] for d in lines] == ["hello", "转人工", "", "asdkjh qwe"]
    assert [d["intent"]["name"] for d in lines] == ["greet", "human_handoff", "nlu_fallback",
                                                    "nlu_fallback"]


def test_bad_setting_is_one_line(config: Path) -> None:
    config.write_text(config.read_text(encoding="utf-8").replace("builtin", "rasa"),
                      encoding="utf-8")
    done = tongguan("--config", str(config), "parse", "hi")
    assert done.returncode == 2
    assert done.stderr.strip() == ("tongguan: config: nlu.rasa_url: required when "
                                   "nlu.backend is rasa")
