"""``tongguan serve`` itself: migrates, starts on its event loop, answers, stops cleanly."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import ROOT, TEST_SECRET


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_and_stops(tmp_path: Path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGGUAN_")}
    env.update(PYTHONPATH=str(ROOT), TONGGUAN_SECRET_KEY=TEST_SECRET,
               TONGGUAN_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
               TONGGUAN_KEYS_DIR=str(tmp_path / "keys"), TONGGUAN_LOG_LEVEL="WARNING")
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1",
                             "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        body = None
        # A liveness guard, not a speed limit: a server that never starts would hang.
        deadline = time.monotonic() + 120
        while body is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as resp:
                    body = resp.read().decode()
            except OSError:
                time.sleep(0.2)
        assert body is not None, proc.stderr.read().decode()[-2000:] if proc.poll() else ""
        assert "ok" in body.lower()
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert f"http://127.0.0.1:{port}/chat" in out.decode()
