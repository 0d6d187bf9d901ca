"""RasaHttpInterpreter against a local stand-in for a Rasa server, and the factory.

The stand-in is NOT Rasa: it is a tiny aiohttp app answering ``POST /model/parse``
with the response shape Rasa 3.6 returns (extra keys included), so the mapping and
the fallback paths can be tested without installing Rasa.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from bot.config import load_settings
from bot.errors import ConfigError
from bot.nlu.builtin import BuiltinInterpreter
from bot.nlu.factory import build_interpreter
from bot.nlu.rasa_http import RasaHttpInterpreter

from .conftest import INTENTS_DIR


def rasa_shaped_answer(text: str) -> dict[str, Any]:
    """What ``rasa run --enable-api`` 3.6 answers on /model/parse (shape copied from Rasa)."""
    return {
        "text": text,
        "intent": {"name": "reserve_supply", "confidence": 0.9731},
        "entities": [{"entity": "product", "start": 2, "end": 4, "confidence_entity": 0.998,
                      "value": "mask-adult", "extractor": "DIETClassifier",
                      "processors": ["EntitySynonymMapper"]}],
        "text_tokens": [[0, 2], [2, 4]],
        "intent_ranking": [{"name": "reserve_supply", "confidence": 0.9731},
                           {"name": "my_reservations", "confidence": 0.0201}],
        "response_selector": {"all_retrieval_intents": [], "default": {
            "response": {"responses": None, "confidence": 0.0, "intent_response_key": None,
                         "utter_action": "utter_None"}, "ranking": []}},
    }


class RasaStandIn:
    """A local aiohttp server standing in for Rasa's HTTP API."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.delay = 0.0
        self.status = 200

    async def parse(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.json_response({"status": "failure"}, status=self.status)
        return web.json_response(rasa_shaped_answer(body["text"]))


@pytest.fixture
async def rasa_stand_in(aiohttp_server: Any) -> AsyncIterator[tuple[RasaStandIn, str]]:
    stand_in = RasaStandIn()
    app = web.Application()
    app.router.add_post("/model/parse", stand_in.parse)
    server = await aiohttp_server(app)
    yield stand_in, str(server.make_url("/")).rstrip("/")


def free_port_url() -> str:
    """A URL where nothing listens (a port taken and released at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def test_maps_rasa_answer(rasa_stand_in: tuple[RasaStandIn, str],
                                builtin: BuiltinInterpreter) -> None:
    stand_in, url = rasa_stand_in
    nlu = RasaHttpInterpreter(url + "/", builtin, timeout=2)
    try:
        result = await nlu.parse("预约口罩")
    finally:
        await nlu.close()
    assert stand_in.requests == [{"text": "预约口罩"}]
    assert result.intent.name == "reserve_supply"
    assert result.intent.confidence == pytest.approx(0.9731)
    ent = result.entities[0]
    assert (ent.entity, ent.value, ent.start, ent.end, ent.extractor) == (
        "product", "mask-adult", 2, 4, "DIETClassifier")
    assert [i.name for i in result.intent_ranking] == ["reserve_supply", "my_reservations"]


async def test_falls_back_when_server_is_down(builtin: BuiltinInterpreter,
                                              caplog: pytest.LogCaptureFixture) -> None:
    nlu = RasaHttpInterpreter(free_port_url(), builtin, timeout=1)
    caplog.set_level(logging.INFO, logger="tongguan.nlu")
    try:
        first = await nlu.parse("转人工")
        second = await nlu.parse("出示健康码")
    finally:
        await nlu.close()
    assert first.intent.name == "human_handoff"
    assert second.intent.name == "show_code"
    assert first.entities == () and all(e.extractor == "builtin" for e in second.entities)
    assert [r.message for r in caplog.records].count("nlu.rasa.unavailable") == 1


async def test_timeout_falls_back_then_recovers(rasa_stand_in: tuple[RasaStandIn, str],
                                                builtin: BuiltinInterpreter,
                                                caplog: pytest.LogCaptureFixture) -> None:
    stand_in, url = rasa_stand_in
    caplog.set_level(logging.INFO, logger="tongguan.nlu")
    nlu = RasaHttpInterpreter(url, builtin, timeout=0.2)
    try:
        stand_in.delay = 1.0
        slow = await nlu.parse("show my code")
        stand_in.delay, stand_in.status = 0.0, 500
        broken = await nlu.parse("hello")
        assert nlu.unavailable
        stand_in.status = 200
        back = await nlu.parse("预约口罩")
        stand_in.delay = 1.0
        again = await nlu.parse("show my code")
    finally:
        await nlu.close()
    assert slow.intent.name == "show_code" and broken.intent.name == "greet"
    assert back.intent.confidence == pytest.approx(0.9731)
    assert again.intent.name == "show_code"
    messages = [r.message for r in caplog.records]
    assert messages.count("nlu.rasa.unavailable") == 2
    assert messages.count("nlu.rasa.recovered") == 1


def _settings(**nlu: Any) -> Any:
    base = load_settings(env={"TONGGUAN_SECRET_KEY": "s" * 40, "TONGGUAN_CONFIG": "/nonexistent"})
    return dataclasses.replace(base, intents_dir=INTENTS_DIR,
                               nlu=dataclasses.replace(base.nlu, **nlu))


async def test_factory_builds_each_backend(rasa_stand_in: tuple[RasaStandIn, str]) -> None:
    builtin = build_interpreter(_settings(threshold=0.6))
    assert isinstance(builtin, BuiltinInterpreter) and builtin.threshold == 0.6
    _, url = rasa_stand_in
    rasa = build_interpreter(_settings(backend="rasa", rasa_url=url, timeout=0.5))
    try:
        assert isinstance(rasa, RasaHttpInterpreter)
        assert isinstance(rasa.fallback, BuiltinInterpreter)
        assert rasa.timeout.total == 0.5
        assert (await rasa.parse("x")).intent.name == "reserve_supply"
    finally:
        await rasa.close()


def test_factory_needs_rasa_url() -> None:
    with pytest.raises(ConfigError, match="nlu.rasa_url"):
        build_interpreter(_settings(backend="rasa", rasa_url=""))
