"""``tongguan keys`` / ``tongguan code`` through the real entry point (python -m bot.cli)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def tongguan(*argv: str, keys: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    inherited = {k: v for k, v in os.environ.items() if k != "TONGGUAN_KEY_PASSPHRASE"}
    full_env = {**inherited, "PYTHONPATH": str(ROOT), "TONGGUAN_KEYS_DIR": str(keys),
                **(env or {})}
    return subprocess.run([sys.executable, "-m", "bot.cli", *argv], cwd=ROOT, env=full_env,
                          capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("keys")
    done = tongguan("keys", "generate", keys=directory)
    assert done.returncode == 0, done.stderr
    return directory


def test_issue_and_verify_text(keys):
    issued = tongguan("code", "issue", "--name", "张三明", "--color", "yellow", keys=keys)
    assert issued.returncode == 0, issued.stderr
    text = issued.stdout.decode().strip()
    assert text.startswith("TG1:")
    checked = tongguan("code", "verify", text, keys=keys)
    verdict = json.loads(checked.stdout)
    assert checked.returncode == 0 and verdict["valid"]
    assert verdict["claims"]["masked_name"] == "张*明" and verdict["claims"]["color"] == "yellow"
    late = tongguan("code", "verify", text, "--at", "2099-01-01T00:00:00Z", keys=keys)
    assert late.returncode == 1 and json.loads(late.stdout)["reason"] == "expired"


def test_trust_list_file_and_image(keys, tmp_path):
    tl = tmp_path / "trust.json"
    assert tongguan("keys", "trust-list", "--out", str(tl), keys=keys).returncode == 0
    assert json.loads(tl.read_text())["payload"]["type"] == "tongguan-trust-list"
    png = tmp_path / "code.png"
    issued = tongguan("code", "issue", "--name", "John Smith", "--color", "green", "--kind",
                      "paper", "--format", "png", "--out", str(png), keys=keys)
    assert issued.returncode == 0 and b"QR version" in issued.stderr
    checked = tongguan("code", "verify", "--image", str(png), "--trust-list", str(tl), keys=keys)
    verdict = json.loads(checked.stdout)
    assert checked.returncode == 0 and verdict["claims"]["kind"] == "paper", checked.stderr
    svg = tongguan("code", "issue", "--name", "李四", "--color", "red", "--format", "svg",
                   keys=keys)
    assert svg.returncode == 0 and b"<svg" in svg.stdout


def test_rotate_keeps_old_codes(keys):
    old = tongguan("code", "issue", "--name", "王五", "--color", "green", keys=keys)
    assert tongguan("keys", "rotate", keys=keys).returncode == 0
    checked = tongguan("code", "verify", old.stdout.decode().strip(), keys=keys)
    assert checked.returncode == 0, checked.stdout


@pytest.mark.parametrize("argv,fragment", [
    (("code", "verify"), b"either a code TEXT or --image"),
    (("code", "verify", "TG1:ABC", "--at", "yesterday"), b"ISO 8601"),
    (("code", "verify", "--image", "/nonexistent.png"), b"No such file"),
    (("code", "issue", "--name", "x", "--color", "green", "--ttl", "9999999"), b"--ttl"),
    (("code", "verify", "TG1:ABC", "--trust-list", "/nonexistent.json"), b"No such file"),
])
def test_bad_input_is_one_line_exit_2(keys, argv, fragment):
    done = tongguan(*argv, keys=keys)
    assert done.returncode == 2
    assert fragment in done.stderr and b"Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_no_key_yet_and_bad_passphrase(tmp_path):
    empty = tongguan("code", "issue", "--name", "x", "--color", "green", keys=tmp_path / "none")
    assert empty.returncode == 2 and b"keys generate" in empty.stderr
    secret = tmp_path / "secret"
    made = tongguan("keys", "generate", "--alg", "EdDSA", keys=secret,
                    env={"TONGGUAN_KEY_PASSPHRASE": "pass-phrase"})
    assert made.returncode == 0, made.stderr
    wrong = tongguan("code", "issue", "--name", "x", "--color", "green", keys=secret,
                     env={"TONGGUAN_KEY_PASSPHRASE": "nope"})
    assert wrong.returncode == 2 and b"passphrase" in wrong.stderr
    assert b"Traceback" not in wrong.stderr


def test_invalid_code_exit_1(keys):
    done = tongguan("code", "verify", "NOT-A-CODE", keys=keys)
    assert done.returncode == 1 and json.loads(done.stdout)["reason"] == "bad_prefix"


def test_verify_takes_a_resumption_notice(keys) -> None:
    from datetime import UTC, date, datetime, timedelta

    import codes

    now = datetime.now(UTC)
    signer = codes.KeyStore(keys).active_signer()
    text = codes.issue_notice(key=signer, notice_no="JIANGAN-00001", firm_name="武汉示范企业",
                              uscc="91420100MA4K000016", district="jiangan",
                              approved_on=date.today(), expires_at=now + timedelta(days=30),
                              at=now)
    checked = tongguan("code", "verify", text, keys=keys)
    assert checked.returncode == 0, checked.stdout
    verdict = json.loads(checked.stdout)
    assert verdict["valid"] and verdict["format"] == "TGN1"
