"""The handoff inbox, where staff answer residents who asked for a person: its web
modules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.web.keys import WebModule


def web() -> Sequence[WebModule]:
    from bot.web import handoffs_api, inbox_pages

    return (handoffs_api, inbox_pages)
