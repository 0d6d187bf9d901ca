"""Reviewer pages of business-resumption filings (issue 14 §3; docs/filings.md).

* ``GET /review`` and ``GET /review/{asset}`` — anonymous: the static page, which logs in
  with the staff login (``POST /api/v1/staff/sessions``) and then reads and decides
  through the filings JSON API (:mod:`bot.web.filings_api`). Served ``no-cache`` by
  :mod:`bot.web.staff_pages`.
* ``GET /review/catalog.json`` — anonymous: the value lists (states, districts,
  industries, needs) and the live pre-screen flags with their reasons, for the page's
  labels and filters; nothing in it belongs to a firm.
* ``GET /api/v1/filings/counts?district=&industry=&flag=&q=`` — reviewer, admin, auditor
  (scoped to the account's district): ``{"counts": {state: n}, "total": n}``, the queue's
  filters except ``state`` (the page shows them on its state tabs).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.services.filings import FilingError, QueueQuery, filings
from bot.services.filings.catalog import DISTRICTS, INDUSTRIES, NEEDS, STATES
from bot.services.filings.queries import state_counts
from bot.web.filings_api import REVIEWERS, error_response
from bot.web.keys import HUB_KEY
from bot.web.staff_auth import staff_of, staff_route
from bot.web.staff_pages import NO_CACHE, add_staff_page


async def catalog(request: web.Request) -> web.Response:
    """The labels the page shows: every value list in zh and en, and the flags."""
    rules = filings(request.app[HUB_KEY]).rules
    return web.json_response({
        "states": [{"value": k, "zh": zh, "en": en} for k, (zh, en) in STATES.items()],
        "districts": [c.to_option() for c in DISTRICTS],
        "industries": [c.to_option() for c in INDUSTRIES],
        "needs": [c.to_option() for c in NEEDS],
        "flags": [{"value": r.id, "zh": r.reason[0], "en": r.reason[1]} for r in rules.flags],
    }, headers=NO_CACHE)


@staff_route(*REVIEWERS)
async def filing_counts(request: web.Request) -> web.Response:
    """Filings per state under the queue's filters, within the caller's district."""
    staff = staff_of(request)
    try:
        query = QueueQuery.from_params(dict(request.query))
    except FilingError as err:
        return error_response(err)
    counts = await state_counts(filings(request.app[HUB_KEY]), query, scope=staff.district)
    return web.json_response({"counts": counts, "total": sum(counts.values())})


__all__ = ["OPENAPI_PATHS", "setup"]

OPENAPI_PATHS: dict[str, Any] = {"/api/v1/filings/counts": {"get": {
    "summary": "Filings per state under the queue's filters (?district=&industry=&flag=&q=; "
               "state is ignored), scoped to the reviewer's district. Staff route (roles: "
               "reviewer, admin, auditor); a resident's token gets 401.",
    "responses": {"200": {"description": "{counts: {submitted, approved, rejected, "
                                         "returned, withdrawn}, total}"},
                  "401": {"description": "unauthorized"},
                  "403": {"description": "forbidden"},
                  "422": {"description": "an unknown district, industry or state"}}}}}


def setup(app: web.Application) -> None:
    app.router.add_get("/review/catalog.json", catalog)  # before /review/{asset}
    add_staff_page(app, "review", "review", frozenset({"review.js", "review.css"}))
    app.router.add_get("/api/v1/filings/counts", filing_counts)
