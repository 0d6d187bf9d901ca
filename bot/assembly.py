"""One whole process: the hub's base parts, every feature's contributions, the dialogue.

``bot.hub`` knows neither the features nor the dialogue; this module puts them together
for the web app, the CLI and tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from bot.clock import Clock
from bot.config import Settings
from bot.dialogue.build import build_dialogue
from bot.features import FEATURES, Feature
from bot.hub import Hub, base_hub, open_base_hub


def add_features(hub: Hub, features: Sequence[Feature] = FEATURES) -> Hub:
    """Register every feature's actions and media sources on ``hub``; returns it."""
    for feature in features:
        if feature.actions is not None:
            feature.actions(hub.actions, hub)
        for source in feature.media:
            hub.media.register(source.prefix, source.make(hub))
    return hub


def action_hub(settings: Settings, features: Sequence[Feature] = FEATURES) -> Hub:
    """A hub with every action registered and no database connection opened (what
    ``tongguan flows validate`` checks flows against)."""
    return add_features(base_hub(settings), features)


@asynccontextmanager
async def open_hub(settings: Settings, *, clock: Clock | None = None,
                   with_dialogue: bool = True,
                   features: Sequence[Feature] = FEATURES) -> AsyncIterator[Hub]:
    """Build a hub (database, every feature's actions and media, and unless
    ``with_dialogue=False`` flows, NLU and engine) and close it afterwards."""
    async with open_base_hub(settings, clock=clock) as hub:
        add_features(hub, features)
        if with_dialogue:
            await build_dialogue(hub)
        yield hub
