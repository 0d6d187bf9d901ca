"""``GET /nlu`` and ``GET /nlu/{asset}`` — anonymous: the NLU editor page (static), which
logs in with the shared staff login (``/static/staff/staff.js``) and works through the
NLU JSON API (:mod:`bot.web.nlu_api`). Served ``no-cache`` by :mod:`bot.web.staff_pages`."""

from __future__ import annotations

from aiohttp import web

from bot.web.staff_pages import add_staff_page


def setup(app: web.Application) -> None:
    add_staff_page(app, "nlu", "nlu", frozenset({"nlu.js", "nlu.css"}))
