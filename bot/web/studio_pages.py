"""``GET /studio`` and ``GET /studio/{asset}`` — anonymous: the flow studio page
(static), which logs in with the staff login (``/static/staff/staff.js``) and works
through the studio's JSON API (:mod:`bot.web.flows_api`, :mod:`bot.web.forms_api`).
CodeMirror is vendored under ``/static/vendor/codemirror/``. Served ``no-cache`` by
:mod:`bot.web.staff_pages`."""

from __future__ import annotations

from aiohttp import web

from bot.web.staff_pages import add_staff_page


def setup(app: web.Application) -> None:
    add_staff_page(app, "studio", "studio",
                   frozenset({"studio.js", "studio.css", "template.js"}))
