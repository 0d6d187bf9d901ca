"""The hub: every long-lived part of one Tongguan process, built once, passed around.

No module-level singletons: the web app, the CLI and tests build a :class:`Hub` with
:func:`open_hub` and hand it (or the part needed) to whatever needs it.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.actions import ActionRegistry
from bot.clock import Clock
from bot.config import Settings
from bot.db.database import Database, make_database
from bot.privacy import Sealer
from bot.services.outbox import Deliverer, Outbox

if TYPE_CHECKING:
    from bot.dialogue.engine import Engine
    from bot.dialogue.flows.registry import FlowRegistry
    from bot.nlu.base import Interpreter

#: Modules whose ``register_actions(registry, hub)`` adds actions at start-up.
ACTION_MODULES = (
    "bot.services.records",
    "bot.services.declarations",
    "bot.services.reservations.actions",
    "bot.channels.wechat.actions",
)


@dataclass
class Hub:
    """Shared parts of one process."""

    settings: Settings
    db: Database
    sealer: Sealer
    clock: Clock
    actions: ActionRegistry
    outbox: Outbox
    deliverers: dict[str, Deliverer] = field(default_factory=dict)
    flows: FlowRegistry | None = None
    interpreter: Interpreter | None = None
    engine: Engine | None = None
    extras: dict[str, Any] = field(default_factory=dict)  #: feature-owned parts by name


def register_all_actions(hub: Hub) -> None:
    """Let every service module that exists register its actions."""
    for name in ACTION_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name is not None and name.startswith(err.name):
                continue
            raise
        module.register_actions(hub.actions, hub)


@asynccontextmanager
async def open_hub(settings: Settings, *, clock: Clock | None = None,
                   with_dialogue: bool = True) -> AsyncIterator[Hub]:
    """Build a hub (database, actions, flows, NLU, engine) and close it afterwards."""
    db = make_database(settings.database_url, pool_size=settings.database_pool_size)
    clock = clock or Clock()
    sealer = Sealer(settings.secret_key)
    hub = Hub(settings=settings, db=db, sealer=sealer, clock=clock,
              actions=ActionRegistry(), outbox=Outbox(db, sealer, clock))
    try:
        register_all_actions(hub)
        if with_dialogue:
            from bot.dialogue.build import build_dialogue

            await build_dialogue(hub)
        yield hub
    finally:
        if hub.interpreter is not None:
            await hub.interpreter.close()
        await db.dispose()
