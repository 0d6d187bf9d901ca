"""``tongguan retention …`` and ``tongguan secrets rotate-seal`` as an operator runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.config import DEV_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]
KEY_B = "seal-key-b-0123456789abcdef0123456789abcdef"


def run(args: list[str], db: str, stdin: str = "", **env: str
        ) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(ROOT), "TONGGUAN_DATABASE_URL": db,
            "TONGGUAN_LOG_LEVEL": "ERROR", **env}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=ROOT, env=full,
                          input=stdin, capture_output=True, text=True, timeout=300)


def test_retention_and_rotation_commands(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    assert run(["db", "upgrade"], db).returncode == 0
    chat = run(["chat", "--user", "r1"], db, "我的数据\n")
    assert chat.returncode == 0 and "我们保存的关于您的信息" in chat.stdout, chat.stderr

    dry = run(["retention", "run", "--dry-run"], db)
    assert dry.returncode == 0, dry.stderr
    assert "turns" in dry.stdout and "dry run: nothing was changed" in dry.stdout
    done = run(["retention", "run", "--kind", "turns"], db, TONGGUAN_RETENTION_TURNS_DAYS="0")
    assert "turns" in done.stdout and "kept for ever" in done.stdout
    bad = run(["retention", "run", "--kind", "emails"], db)
    assert bad.returncode == 2 and "unknown kind 'emails'" in bad.stderr
    negative = run(["retention", "run"], db, TONGGUAN_RETENTION_TURNS_DAYS="-3")
    assert negative.returncode == 2 and "retention.turns_days" in negative.stderr
    assert "turns" in run(["retention", "log"], db).stdout

    assert run(["retention", "hold", "terminal:r1", "--reason", "court"], db).returncode == 0
    assert run(["retention", "hold", "terminal:r1", "--reason", "x"], db).returncode == 2
    assert "terminal:r1" in run(["retention", "holds"], db).stdout
    assert run(["retention", "unhold", "terminal:r1"], db).returncode == 0
    assert run(["retention", "unhold", "terminal:r1"], db).returncode == 1
    assert run(["retention", "hold", "nocolon", "--reason", "x"], db).returncode == 2

    rotating = {"TONGGUAN_SEAL_KEY": KEY_B, "TONGGUAN_SEAL_PREVIOUS_KEYS": DEV_SECRET_KEY}
    assert run(["secrets", "rotate-seal", "--verify"], db, **rotating).returncode == 1
    paused = run(["secrets", "rotate-seal", "--batch", "1", "--max-batches", "1"], db,
                 **rotating)
    assert paused.returncode == 0 and "paused" in paused.stdout, paused.stderr
    assert "conversations" in run(["secrets", "rotate-seal", "--status"], db,
                                  **rotating).stdout
    finished = run(["secrets", "rotate-seal"], db, **rotating)
    assert "finished" in finished.stdout, finished.stderr
    verified = run(["secrets", "rotate-seal", "--verify"], db, TONGGUAN_SEAL_KEY=KEY_B)
    assert verified.returncode == 0 and "every sealed value" in verified.stdout
    chat = run(["chat", "--user", "r1"], db, "我的数据\n", TONGGUAN_SEAL_KEY=KEY_B)
    assert "我们保存的关于您的信息" in chat.stdout, chat.stderr  # opens under B alone
    assert run(["secrets", "rotate-seal", "--batch", "0"], db).returncode == 2
