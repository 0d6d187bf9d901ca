"""``GET /inbox`` and ``GET /inbox/{asset}`` — anonymous: the handoff inbox page (static),
which logs in with the staff login (``/static/staff/staff.js``, shared by staff pages)
and works through the handoffs JSON API (:mod:`bot.web.handoffs_api`). Served
``no-cache`` by :mod:`bot.web.staff_pages`."""

from __future__ import annotations

from aiohttp import web

from bot.web.staff_pages import add_staff_page


def setup(app: web.Application) -> None:
    add_staff_page(app, "inbox", "inbox", frozenset({"inbox.js", "inbox.css"}))
