"""The Rasa backend against a real Rasa 3.6 server trained on intents/.

The server runs from its own Python 3.10 venv (``make rasa`` builds ``var/rasa-venv``).
Without it these tests are skipped with a plain message; in CI (``CI=true``) a missing
Rasa venv is a failure. The trained model is cached under ``var/rasa-models`` by the
hash of the training files, so only a change of ``intents/`` trains again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from bot.config import load_settings
from bot.nlu.builtin import BuiltinInterpreter
from bot.nlu.factory import build_interpreter
from bot.nlu.rasa_http import RasaHttpInterpreter

ROOT = Path(__file__).resolve().parents[2]
RASA_VENV = Path(os.environ.get("TONGGUAN_RASA_VENV", ROOT / "var" / "rasa-venv"))
RASA = RASA_VENV / "bin" / "rasa"
MODELS = ROOT / "var" / "rasa-models"
RASA_ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3",
            "LOG_LEVEL": "WARNING",
            # Rasa's training cache would otherwise land in ./.rasa of the checkout.
            "RASA_CACHE_DIRECTORY": str(ROOT / "var" / "rasa-cache")}


def _need_rasa() -> None:
    if RASA.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{RASA} missing in CI: run `make rasa`")
    pytest.skip(f"Rasa server tests not run: {RASA} missing (make rasa)")


def _model() -> Path:
    digest = hashlib.sha256()
    for name in ("nlu.yml", "config.yml"):
        digest.update((ROOT / "intents" / name).read_bytes())
    model = MODELS / f"tongguan-{digest.hexdigest()[:16]}.tar.gz"
    if not model.exists():
        MODELS.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(RASA), "train", "nlu", "--nlu", "intents/nlu.yml", "--config",
                        "intents/config.yml", "--out", str(MODELS), "--fixed-model-name",
                        model.name.removesuffix(".tar.gz")], cwd=ROOT, env=RASA_ENV,
                       check=True, capture_output=True, timeout=1200)
    return model


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def rasa_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _need_rasa()
    model = _model()
    port = _port()
    log = tmp_path_factory.mktemp("rasa") / "rasa.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(RASA), "run", "--enable-api", "-m", str(model), "-i",
                                 "127.0.0.1", "-p", str(port)], cwd=ROOT, env=RASA_ENV,
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:  # loading TensorFlow takes a while
            if proc.poll() is not None:
                pytest.fail("rasa run exited:\n" + log.read_text(errors="replace")[-3000:])
            try:
                import urllib.request

                with urllib.request.urlopen(url + "/status", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("rasa run did not come up:\n" + log.read_text(errors="replace")[-3000:])
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


async def test_rasa_parses_in_rasas_shape(rasa_url: str) -> None:
    builtin = BuiltinInterpreter.from_dir(ROOT / "intents")
    rasa = RasaHttpInterpreter(rasa_url, builtin, timeout=10)
    try:
        result = await rasa.parse("我要预约口罩")
        assert not rasa.unavailable  # answered by Rasa, not by the fallback
        assert result.intent.name == "reserve_supply"
        assert len(result.intent_ranking) >= 5
        raw = result.to_dict()
        assert set(raw) == {"text", "intent", "entities", "intent_ranking"}
        async with aiohttp.ClientSession() as session, session.post(
                rasa_url + "/model/parse", json={"text": "我要预约口罩"}) as resp:
            direct = await resp.json()
        assert direct["intent"]["name"] == result.intent.name
        english = await rasa.parse("I want to declare my health")
        assert english.intent.name == "declare_health"
    finally:
        await rasa.close()


async def test_engine_runs_on_the_rasa_backend(rasa_url: str, tmp_path: Path) -> None:
    from bot.db.migrate import upgrade
    from bot.hub import open_hub
    from bot.messages import Inbound

    url = f"sqlite+aiosqlite:///{tmp_path / 'rasa.db'}"
    await asyncio.to_thread(upgrade, url)
    base = load_settings(ROOT / "config.yml", env={})
    settings = dataclasses.replace(
        base, database_url=url, keys_dir=tmp_path / "keys", flows_reload_seconds=0.0,
        flows_dir=ROOT / "flows", intents_dir=ROOT / "intents",
        nlu=dataclasses.replace(base.nlu, backend="rasa", rasa_url=rasa_url, timeout=10))
    assert isinstance(build_interpreter(settings), RasaHttpInterpreter)
    async with open_hub(settings) as hub:
        replies = await hub.engine.handle(Inbound(channel="web", user_id="r1",
                                                  text="今天要报一下体温"))
        assert isinstance(hub.interpreter, RasaHttpInterpreter)
        assert not hub.interpreter.unavailable
        assert "为谁申报" in replies[0].text
