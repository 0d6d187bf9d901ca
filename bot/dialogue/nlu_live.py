"""The live NLU model of this process, from the versions in the database (docs/nlu.md).

At start-up (:func:`open_nlu`) the intent set of ``intents/`` becomes version 1 when there
is none; when the live version is still the files' own and the files changed, they are
saved as the next version (as ``tongguan nlu import`` would). The process then trains
the builtin on the live version. :func:`poll` (a job of every process, every
``flows_poll_seconds``, like the flows') reads the newest row id and, when it moved,
retrains and swaps the builtin in place (:meth:`BuiltinInterpreter.adopt`): with the
Rasa backend that is the fallback, Rasa's own model is trained outside.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.nlu.builtin import BuiltinInterpreter
from bot.nlu.evaluate import CrossValidation
from bot.nlu.intent_set import IntentSet
from bot.nlu.rasa_http import RasaHttpInterpreter
from bot.services.nlu_versions import FILES_AUTHOR, StaleBase, nlu_versions

if TYPE_CHECKING:
    from bot.hub import Hub

log = logging.getLogger("tongguan.nlu")


@dataclass
class NluLive:
    """What this process serves: the version, its intent set, and the newest row seen."""

    version: int = 0
    seen: int = 0
    intents: IntentSet | None = None
    train_seconds: float = 0.0
    #: the cross-validation report of this version, once computed (bot.web.nlu_api)
    report: CrossValidation | None = None


def live_state(hub: Hub) -> NluLive:
    return hub.parts.setdefault(NluLive, NluLive)


def builtin_of(hub: Hub) -> BuiltinInterpreter:
    """The builtin model the hub's interpreter uses (itself, or Rasa's fallback)."""
    interpreter = hub.interpreter
    if isinstance(interpreter, RasaHttpInterpreter):
        interpreter = interpreter.fallback
    assert isinstance(interpreter, BuiltinInterpreter), "the hub has its dialogue"
    return interpreter


def train(intents: IntentSet, threshold: float) -> BuiltinInterpreter:
    """A builtin trained on ``intents`` (raises NluDataError for bad data)."""
    return BuiltinInterpreter(intents.training_data(), threshold=threshold)


async def refresh(hub: Hub) -> int:
    """Serve the live version (retrain and swap when it changed); returns the newest id."""
    store, state = nlu_versions(hub), live_state(hub)
    newest = await store.newest_id()
    row = await store.live()
    if row is not None and row.version != state.version:
        intents = IntentSet.from_yaml(row.yaml, f"nlu version {row.version}")
        model = await asyncio.to_thread(train, intents, hub.settings.nlu.threshold)
        builtin_of(hub).adopt(model)
        state.version, state.intents, state.train_seconds, state.report = (
            row.version, intents, model.train_seconds, None)
        log.info("nlu.swapped version=%d examples=%d seconds=%.3f", row.version,
                 intents.example_count, model.train_seconds)
    state.seen = newest
    return newest


async def open_nlu(hub: Hub) -> None:
    """Seed version 1 from ``intents/``, save the files again when they changed while
    they own the live version, and serve the live version."""
    store = nlu_versions(hub)
    files = IntentSet.from_dir(hub.settings.intents_dir)
    text = files.to_yaml()
    intents, examples = len(files.intents), files.example_count
    await store.seed(text, note="from intents/", intents=intents, examples=examples)
    live = await store.live()
    if live is not None and live.yaml == text:  # what build_interpreter trained on
        state = live_state(hub)
        state.version, state.intents = live.version, files
        state.train_seconds = builtin_of(hub).train_seconds
    elif live is not None and live.author == FILES_AUTHOR:
        with contextlib.suppress(StaleBase):  # another process saved it first
            await store.save(text, author=FILES_AUTHOR, note="intents/ changed on disk",
                             base_version=live.version, intents=intents, examples=examples)
    await refresh(hub)


async def poll(hub: Hub) -> None:
    """One cheap look at the newest row id; retrain when it moved."""
    if hub.interpreter is None:
        return
    if await nlu_versions(hub).newest_id() != live_state(hub).seen:
        await refresh(hub)


__all__ = ["NluLive", "builtin_of", "live_state", "open_nlu", "poll", "refresh", "train"]
