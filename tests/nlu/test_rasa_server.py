"""The Rasa backend against a real Rasa 3.6 server trained on intents/.

The server runs from its own Python 3.10 venv (``make rasa`` builds ``var/rasa-venv``).
Without it these tests are skipped with a plain message; in CI (``CI=true``) a missing
Rasa venv is a failure.

The model is trained with the real pipeline of ``intents/config.yml`` but only
``TEST_EPOCHS`` DIET epochs (about 1.5 minutes instead of many): these tests check that a
real Rasa server parses in Rasa's shape and drives the engine, not the model's quality
(``bench/nlu.py`` measures that). It is cached under ``var/rasa-models`` by a hash of
the training data, the derived config and the Rasa version, so a second run (or a
concurrent one: training holds a lock) reuses it. All tests here share one server, so
they run on one xdist worker (``xdist_group``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import fcntl
import hashlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
import yaml

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
#: DIET epochs for the test model (intents/config.yml trains 100). Ten already classify
#: the sentences below with confidence > 0.9, well above the fallback threshold.
TEST_EPOCHS = 10

pytestmark = pytest.mark.xdist_group("rasa")


def _need_rasa() -> None:
    if RASA.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{RASA} missing in CI: run `make rasa`")
    pytest.skip(f"Rasa server tests not run: {RASA} missing (make rasa)")


def _test_config(epochs: int = TEST_EPOCHS) -> bytes:
    """intents/config.yml with the DIET classifier cut to ``epochs`` epochs."""
    config = yaml.safe_load((ROOT / "intents" / "config.yml").read_text(encoding="utf-8"))
    diet = [c for c in config["pipeline"] if c["name"] == "DIETClassifier"]
    assert diet, "intents/config.yml has no DIETClassifier: update TEST_EPOCHS's use"
    for component in diet:
        component["epochs"] = epochs
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False).encode()


def _rasa_version() -> str:
    infos = sorted(RASA_VENV.glob("lib/python*/site-packages/rasa-*.dist-info"))
    return infos[0].name if infos else "unknown"


def trained_model(epochs: int = TEST_EPOCHS, prefix: str = "tongguan-test") -> Path:
    """A Rasa model of intents/nlu.yml with ``epochs`` DIET epochs, cached by hash
    (``bench/nlu.py`` takes the full 100-epoch one)."""
    config = _test_config(epochs)
    digest = hashlib.sha256()
    for part in ((ROOT / "intents" / "nlu.yml").read_bytes(), config,
                 _rasa_version().encode()):
        digest.update(hashlib.sha256(part).digest())
    name = f"{prefix}-{digest.hexdigest()[:16]}"
    model = MODELS / f"{name}.tar.gz"
    MODELS.mkdir(parents=True, exist_ok=True)
    # One trainer at a time (xdist workers, concurrent runs); the others wait, then reuse.
    with (MODELS / ".train.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if model.exists():
            return model
        work = MODELS / f".{name}.{os.getpid()}"
        work.mkdir()
        try:
            (work / "config.yml").write_bytes(config)
            subprocess.run([str(RASA), "train", "nlu", "--nlu", "intents/nlu.yml", "--config",
                            str(work / "config.yml"), "--out", str(work),
                            "--fixed-model-name", name], cwd=ROOT, env=RASA_ENV,
                           check=True, capture_output=True, timeout=max(1200, 40 * epochs))
            os.replace(work / model.name, model)  # whole or not at all
        finally:
            for leftover in work.iterdir():
                leftover.unlink()
            work.rmdir()
    return model


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Session scope: under xdist a module fixture can be torn down and started again between
# this module's tests (a worker sees one test ahead), and the server takes a minute to start.
@pytest.fixture(scope="session")
def rasa_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _need_rasa()
    try:
        with serve_rasa(trained_model(), tmp_path_factory.mktemp("rasa") / "rasa.log") as url:
            yield url
    except RuntimeError as err:
        pytest.fail(str(err))


@contextlib.contextmanager
def serve_rasa(model: Path, log: Path) -> Iterator[str]:
    """``rasa run --enable-api`` on ``model`` at a free local port; yields its URL.

    Raises:
        RuntimeError: the server exited or did not come up (with the log's tail).
    """
    port = _port()
    with log.open("wb") as out:
        proc = subprocess.Popen([str(RASA), "run", "--enable-api", "-m", str(model), "-i",
                                 "127.0.0.1", "-p", str(port)], cwd=ROOT, env=RASA_ENV,
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:  # loading TensorFlow takes a while
            if proc.poll() is not None:
                raise RuntimeError("rasa run exited:\n"
                                   + log.read_text(errors="replace")[-3000:])
            try:
                import urllib.request

                with urllib.request.urlopen(url + "/status", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                time.sleep(1)
        else:
            raise RuntimeError("rasa run did not come up:\n"
                               + log.read_text(errors="replace")[-3000:])
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
    from bot.assembly import open_hub
    from bot.db.migrate import upgrade
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
