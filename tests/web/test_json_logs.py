"""A real ``tongguan serve --log-format json``: health declarations with ID numbers,
names and phones (one wrong on purpose) through the chat API; every line of the whole
log is one JSON event, request events carry the request id, and not one of the ID
numbers, phones or names appears anywhere in it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.conftest import ROOT, TEST_SECRET
from tests.web.test_two_servers import _free_port, _wait_ready

SELF_ID, PARENT_ID, BAD_ID = "11010519491231002X", "110105195001010012", "110105194912310021"
PHONE, BAD_PHONE = "13812345678", "1391234567"
NAMES = ("张三明", "李秀英")


def script() -> list[list[str]]:
    """Two residents' messages: one for themself (a mistyped ID and phone first), one for
    a parent."""
    tail = ["江岸区", "花桥街一村社区", "3号楼", "36.5", "没有", "没有离开本市", "否", "未隔离",
            "是", "确认"]
    return [["健康申报", "1", NAMES[0], BAD_ID, SELF_ID, BAD_PHONE, PHONE, *tail],
            ["健康申报", "2", NAMES[1], PARENT_ID, "跳过", *tail]]


async def converse(base: str) -> None:
    async with aiohttp.ClientSession() as http:
        for messages in script():
            async with http.post(base + "/api/v1/sessions") as resp:
                token = (await resp.json())["token"]
            for text in messages:
                async with http.post(base + "/api/v1/chat", json={"text": text},
                                     headers={"Authorization": f"Bearer {token}",
                                              "X-Request-Id": "test-req-1"}) as resp:
                    assert resp.status == 200, await resp.text()
                    assert resp.headers["X-Request-Id"] == "test-req-1"
            async with http.post(base + "/api/v1/chat", json={"text": SELF_ID * 3},
                                 headers={"Authorization": "Bearer nope"}) as resp:
                assert resp.status == 401  # an error with identity data in the body


async def test_json_logs_carry_no_identity_data(sqlite_url: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGGUAN_")}
    env.update(PYTHONPATH=str(ROOT), TONGGUAN_SECRET_KEY=TEST_SECRET,
               TONGGUAN_DATABASE_URL=sqlite_url, TONGGUAN_KEYS_DIR=str(tmp_path / "keys"),
               TONGGUAN_LOG_LEVEL="INFO", TONGGUAN_FLOWS_RELOAD_SECONDS="0",
               TONGGUAN_RATE_LIMITS_CHAT_TURNS_PER_MINUTE="0")
    log_file = tmp_path / "server.log"
    with log_file.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--host",
                                 "127.0.0.1", "--port", str(port), "--log-format", "json"],
                                cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
        try:
            await _wait_ready(f"http://127.0.0.1:{port}/healthz", proc)
            await converse(f"http://127.0.0.1:{port}")
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    text = log_file.read_text(encoding="utf-8")
    # Log events are the JSON lines; the rest is the start-up line on stdout and what a
    # native library (zxing-cpp's nanobind) prints at exit — all checked below too.
    events = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert events and all({"ts", "level", "logger", "event"} <= set(e) for e in events)
    assert any(e.get("request_id") == "test-req-1" for e in events), "no request event logged"
    for secret in (SELF_ID, PARENT_ID, BAD_ID, PHONE, BAD_PHONE, *NAMES,
                   SELF_ID[:6] + "*", PHONE[3:]):
        assert secret not in text, f"{secret} in the log"
