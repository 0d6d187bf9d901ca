"""The core commands as a user runs them: chat (piped), records export, handoffs list."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], db: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TONGGUAN_DATABASE_URL": db,
           "TONGGUAN_LOG_LEVEL": "ERROR"}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, timeout=300)


def test_scripted_terminal_chat_export_and_handoffs(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    # The screening flow is for community workers: an administrator grants the role.
    assert run(["db", "upgrade"], db).returncode == 0
    for user in ("terminal:worker-1", "terminal:worker-2"):
        granted = run(["roles", "grant", user, "community_worker"], db)
        assert granted.returncode == 0, granted.stderr
        assert granted.stdout == f"{user} now holds community_worker\n"
    script = "楼栋排查\n武昌区\n中南路街\n9号楼\n跳过\n12\n30\n0\n0\n跳过\n确认\n"
    result = run(["chat", "--user", "worker-1"], db, script)
    assert result.returncode == 0, result.stderr
    assert "已登记 9号楼" in result.stdout and "Traceback" not in result.stderr

    exported = run(["records", "export", "community_screening", "--format", "csv"], db)
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert len(rows) == 1 and rows[0]["building"] == "9号楼"
    assert (rows[0]["district"], rows[0]["community"]) == ("wuchang", "中南路街")
    assert rows[0]["households_visited"] == "12"

    result = run(["chat", "--user", "worker-2"], db, "楼栋排查\n转人工\n")
    assert "人工" in result.stdout
    listed = run(["handoffs", "list"], db)
    lines = [json.loads(line) for line in listed.stdout.splitlines()]
    assert len(lines) == 1 and lines[0]["user"] == "terminal:worker-2"
    assert lines[0]["flow"] == "community_screening" and lines[0]["turns"] >= 2


def test_unreachable_database_is_one_line_exit_2(tmp_path: Path) -> None:
    for db in ("postgresql+asyncpg://postgres@127.0.0.1:1/tongguan",  # nothing listens
               "postgresql+asyncpg://postgres@127.0.0.1:5432/tongguan_no_such_db"):
        for args, stdin in ((["db", "upgrade"], ""), (["chat", "--user", "u"], "你好\n"),
                            (["serve", "--port", "1"], "")):
            result = run(args, db, stdin)
            assert result.returncode == 2, (args, result.stderr)
            assert "Traceback" not in result.stderr
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and "database_url: cannot connect" in lines[0], lines


def test_missing_flows_folder_stops_start_up(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "TONGGUAN_FLOWS_DIR": str(tmp_path / "nowhere")}
    for args in (["chat"], ["serve", "--port", "1"]):
        result = subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=ROOT,
                                env={**env, "PYTHONPATH": str(ROOT),
                                     "TONGGUAN_DATABASE_URL": db,
                                     "TONGGUAN_ENV": "development",
                                     "TONGGUAN_LOG_LEVEL": "ERROR"},
                                input="你好\n", capture_output=True, text=True, timeout=300)
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip() == (f"tongguan: config: flows_dir: no such folder: "
                                         f"{tmp_path / 'nowhere'}")


def test_export_of_an_unknown_flow_names_the_known_ones(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    fresh = run(["records", "export", "community_screening"], db)
    assert fresh.returncode == 2 and fresh.stderr == (
        "tongguan: config: database_url: has no tables yet (run `tongguan db upgrade`)\n")
    assert run(["db", "upgrade"], db).returncode == 0
    result = run(["records", "export", "comunity_screening"], db)
    assert result.returncode == 2 and result.stdout == ""
    assert "no flow 'comunity_screening'" in result.stderr
    assert "community_screening" in result.stderr.split("flows:")[1]
    empty = run(["records", "export", "community_screening"], db)
    assert empty.returncode == 0 and empty.stdout.strip() == "id,created_at,lang"
