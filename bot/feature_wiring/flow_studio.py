"""The flow studio (published flow versions, editing, preview, forms): its web modules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.web.keys import WebModule


def web() -> Sequence[WebModule]:
    from bot.web import flows_api, forms_api, studio_pages

    return (flows_api, forms_api, studio_pages)
