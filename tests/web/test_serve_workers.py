"""``tongguan serve --workers 2`` on PostgreSQL: two worker processes on one port, one
/metrics adding up both (multiprocess mode), /readyz 200; refused on SQLite."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ROOT, TEST_SECRET
from tests.web.test_two_servers import _free_port, _wait_ready


def _env(url: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TONGGUAN_") and k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(PYTHONPATH=str(ROOT), TONGGUAN_SECRET_KEY=TEST_SECRET,
               TONGGUAN_DATABASE_URL=url, TONGGUAN_KEYS_DIR=str(tmp_path / "keys"),
               TONGGUAN_LOG_LEVEL="WARNING", TONGGUAN_FLOWS_RELOAD_SECONDS="0",
               TONGGUAN_RATE_LIMITS_ENABLED="false")
    return env


def test_workers_need_postgresql(sqlite_url: str, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "bot.cli", "serve", "--workers", "2"],
                          cwd=ROOT, env=_env(sqlite_url, tmp_path), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "--workers needs PostgreSQL" in done.stderr


async def test_two_workers_share_a_port_and_their_metrics(postgres_url: str,
                                                         tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1",
                             "--port", str(port), "--workers", "2"], cwd=ROOT,
                            env=_env(postgres_url, tmp_path), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        await _wait_ready(base + "/readyz", proc)
        async with aiohttp.ClientSession() as http:
            workers: set[int] = set()
            while len(workers) < 2:  # both workers up and answering on the one port
                children = subprocess.run(["ps", "--ppid", str(proc.pid), "-o", "pid="],
                                          capture_output=True, text=True).stdout.split()
                workers = {int(pid) for pid in children}
                await asyncio.sleep(0.1)
            turns = 0
            for _ in range(10):  # new connections: the kernel spreads them over both
                async with aiohttp.ClientSession() as one:
                    async with one.post(base + "/api/v1/sessions") as resp:
                        token = (await resp.json())["token"]
                    async with one.post(base + "/api/v1/chat", json={"text": "你好"},
                                        headers={"Authorization": f"Bearer {token}"}) as resp:
                        assert resp.status == 200
                        turns += 1
            async with http.get(base + "/metrics") as resp:
                text = await resp.text()
        counted = sum(s.value for f in text_string_to_metric_families(text)
                      for s in f.samples if s.name == "tongguan_chat_turns_total")
        assert counted == turns  # whichever worker answered, it adds up both
    finally:
        proc.terminate()
        proc.communicate(timeout=60)
    assert proc.returncode == 0
