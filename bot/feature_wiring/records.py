"""Records, form submissions: the ``records.*`` actions."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.actions import ActionRegistry
    from bot.hub import Hub


def actions(registry: ActionRegistry, hub: Hub) -> None:
    from bot.services import records

    records.register_actions(registry, hub)
