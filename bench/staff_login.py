"""How staff logins load the server: /healthz latency while 20 staff log in at once.

Scrypt (16 MiB, ~50 ms of CPU a hash) runs on hashing threads with a bounded queue
(bot/services/staff/passwords.py); the event loop keeps answering. Prints /healthz p50
and p99 alone (the baseline) and during waves of 20 parallel logins (good passwords: a
failed one would meet the source slow-down, which is not what is measured here), their
ratio, and the login rate.
Run: .venv/bin/python bench/staff_login.py
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._http_load import (  # noqa: E402
    BENCH_SERVER_ENV,
    ROOT,
    free_port,
    percentile,
    start_process,
    stderr_tail,
    wait_ready,
)

SERVE = """
from bot.cli import main
main(["serve", "--host", "127.0.0.1", "--port", "%d"])
"""
PASSWORD = "bench-password-1"
WAVES = 10
LOGINS = 20


async def _healthz(http: aiohttp.ClientSession, base: str, samples: list[float]) -> None:
    start = time.perf_counter()
    async with http.get(base + "/healthz") as resp:
        await resp.read()
    samples.append((time.perf_counter() - start) * 1000)


async def _login(http: aiohttp.ClientSession, base: str, name: str) -> int:
    async with http.post(base + "/api/v1/staff/sessions",
                         json={"username": name, "password": PASSWORD}) as resp:
        await resp.read()
        return resp.status


async def drive(base: str) -> None:
    async with aiohttp.ClientSession() as http:
        alone: list[float] = []
        for _ in range(200):
            await _healthz(http, base, alone)
        during: list[float] = []
        logins = 0
        started = time.perf_counter()
        for _ in range(WAVES):
            names = [f"bench.staff{i % 2}" for i in range(LOGINS)]
            tasks = [asyncio.create_task(_login(http, base, n)) for n in names]
            while not all(t.done() for t in tasks):
                await _healthz(http, base, during)
                await asyncio.sleep(0.01)
            statuses = await asyncio.gather(*tasks)
            logins += sum(1 for s in statuses if s in (200, 503))
        elapsed = time.perf_counter() - started
    p50, p99 = percentile(alone, 0.5), percentile(alone, 0.99)
    d50, d99 = percentile(during, 0.5), percentile(during, 0.99)
    print(f"/healthz alone:             p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  (n={len(alone)})")
    print(f"/healthz during {LOGINS} logins: p50 {d50:6.1f} ms  p99 {d99:6.1f} ms  "
          f"(n={len(during)})")
    print(f"ratio during/alone:         p50 {d50 / p50:5.1f}×     p99 {d99 / p99:5.1f}×")
    print(f"logins answered: {logins} in {elapsed:.1f} s = {logins / elapsed:.0f}/s")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {"TONGGUAN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db",
               "TONGGUAN_KEYS_DIR": f"{tmp}/keys", "TONGGUAN_LOG_LEVEL": "WARNING"}
        full = {**__import__("os").environ, "PYTHONPATH": str(ROOT), **BENCH_SERVER_ENV,
                **env}
        cli = [sys.executable, "-m", "bot.cli"]
        subprocess.run([*cli, "db", "upgrade"], cwd=ROOT, env=full, check=True,
                       capture_output=True)
        for i in range(2):
            subprocess.run([*cli, "staff", "add", f"bench.staff{i}", "--role", "admin",
                            "--password-stdin"], cwd=ROOT, env=full, check=True,
                           input=PASSWORD + "\n", text=True, capture_output=True)
        proc = start_process(SERVE % port, env)
        try:
            base = f"http://127.0.0.1:{port}"
            asyncio.run(wait_ready(base + "/healthz", proc))
            asyncio.run(drive(base))
        except RuntimeError:
            print(stderr_tail(proc))
            raise
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
