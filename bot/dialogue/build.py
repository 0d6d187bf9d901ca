"""Assemble the dialogue side of a hub: flow registry, interpreter, store, engine."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.dialogue.engine import Engine
from bot.dialogue.flows.published import open_published
from bot.dialogue.flows.registry import FlowRegistry
from bot.dialogue.nlu_live import open_nlu
from bot.dialogue.slots import SLOT_TYPES
from bot.dialogue.sql_store import SqlStore
from bot.errors import ConfigError
from bot.nlu.factory import build_interpreter
from bot.services.chat_roles import chat_roles
from bot.services.handoffs import handoffs
from bot.services.profiles import Profiles

if TYPE_CHECKING:
    from bot.actions import ActionRegistry
    from bot.hub import Hub

log = logging.getLogger("tongguan.flows")


def slot_param_problems(type_name: str, params: dict) -> list[str] | None:
    """Problems with a collect step's params; None when the type is unknown."""
    slot_type = SLOT_TYPES.get(type_name)
    if slot_type is None:
        return None
    dynamic = "options_from" in params
    params = {k: v for k, v in params.items() if k != "options_from"}
    if dynamic and "options" not in params:
        # Options arrive at run time; check the other params against a stand-in list
        # that holds whatever values ``exclusive`` names.
        exclusive = params.get("exclusive")
        names = exclusive if isinstance(exclusive, list) else []
        params["options"] = [{"value": str(v), "zh": str(v), "en": str(v)}
                             for v in [*names, "dynamic"]]
    return slot_type.check_params(params)


def make_flow_registry(directory: str | Path, actions: ActionRegistry) -> FlowRegistry:
    """A registry checking actions and slot types against this process's registries."""
    return FlowRegistry(directory, action_names=actions.names,
                        action_sets=lambda name: actions.get(name).sets,
                        slot_param_problems=slot_param_problems)


async def build_dialogue(hub: Hub) -> None:
    """Load flows, train/connect NLU and build the engine onto ``hub``."""
    settings = hub.settings
    if not Path(settings.flows_dir).is_dir():
        raise ConfigError("flows_dir", f"no such folder: {settings.flows_dir}")
    hub.flows = registry = make_flow_registry(settings.flows_dir, hub.actions)
    await open_published(hub)  # the database's live versions, seeded from the files
    problems = registry.problems
    log.info("flows.loaded count=%d problems=%d", len(hub.flows.flows), len(problems))
    hub.interpreter = build_interpreter(settings)
    await open_nlu(hub)  # the database's live intent set, seeded from intents/
    hub.engine = Engine(
        flows=hub.flows, interpreter=hub.interpreter, actions=hub.actions,
        store=SqlStore(hub.db, hub.sealer, hub.clock), clock=hub.clock,
        profiles=Profiles(hub.db, hub.sealer, hub.clock),
        handoffs=handoffs(hub),
        default_lang=settings.default_language, idle=timedelta(minutes=settings.idle_minutes),
        threshold=settings.nlu.threshold, roles=chat_roles(hub).of)
