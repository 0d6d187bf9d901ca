"""Business-resumption filings over JSON (docs/filings.md).

Residents (``Authorization: Bearer`` of ``POST /api/v1/sessions``):
``POST /api/v1/filings`` → 201 ``{"id", "state", "uscc"}``, ``GET /api/v1/filings/mine``,
``PUT /api/v1/filings/{id}`` (resubmit a returned filing), ``POST
/api/v1/filings/{id}/withdraw``. Reviewers (staff accounts, scoped to their district):
``GET /api/v1/filings``, ``GET /api/v1/filings/{id}``, ``POST
/api/v1/filings/{id}/decision``. Errors: ``{"error", "message", "message_zh", ...}``; a
422 lists ``errors``: one ``{"field", "error", "message", "message_zh"}`` per bad field.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.services.filings import (
    FilingError,
    FilingInvalid,
    QueueQuery,
    decide,
    filings,
    get_filing,
    mine,
    queue,
    resubmit,
    submit,
    withdraw,
)
from bot.services.filings.context import Filings
from bot.services.filings.queries import filing_json
from bot.web.auth import CHANNEL, require_session
from bot.web.chat_api import read_json_object
from bot.web.filings_doc import OPENAPI_PATHS, OPENAPI_SCHEMAS
from bot.web.keys import HUB_KEY
from bot.web.middlewares import json_error
from bot.web.staff_auth import staff_of, staff_route

REVIEWERS = ("reviewer", "admin", "auditor")  #: may read the queue and filings
DECIDERS = ("reviewer", "admin")  #: may decide (auditors only read)


def _ctx(request: web.Request) -> Filings:
    return filings(request.app[HUB_KEY])


def error_response(err: FilingError) -> web.Response:
    extra: dict[str, Any] = dict(err.detail)
    if isinstance(err, FilingInvalid):
        extra["errors"] = [e.to_json() for e in err.errors]
    return json_error(err.status, err.code, err.en, message_zh=err.zh, **extra)


def _lang(request: web.Request) -> str:
    return "en" if request.headers.get("Accept-Language", "").lower().startswith("en") \
        else "zh"


def _id(request: web.Request) -> int:
    return int(request.match_info["id"])  # the route allows digits only


# -- the firm ------------------------------------------------------------------------------
async def create_filing(request: web.Request) -> web.Response:
    user_id = await require_session(request)
    body = await read_json_object(request)
    try:
        row = await submit(_ctx(request), body, user_key=f"{CHANNEL}:{user_id}",
                           lang=_lang(request))
    except FilingError as err:
        return error_response(err)
    return web.json_response({"id": row.id, "state": row.state, "uscc": row.uscc,
                              "version": row.version, "flags": row.flags,
                              "notice_no": row.notice_no}, status=201)


async def my_filings(request: web.Request) -> web.Response:
    user_id = await require_session(request)
    return web.json_response({"items": await mine(_ctx(request), f"{CHANNEL}:{user_id}")})


async def resubmit_filing(request: web.Request) -> web.Response:
    user_id = await require_session(request)
    body = await read_json_object(request)
    ctx = _ctx(request)
    try:
        row = await resubmit(ctx, _id(request), body, user_key=f"{CHANNEL}:{user_id}")
    except FilingError as err:
        return error_response(err)
    return web.json_response(filing_json(ctx, row))


async def withdraw_filing(request: web.Request) -> web.Response:
    user_id = await require_session(request)
    ctx = _ctx(request)
    try:
        row = await withdraw(ctx, _id(request), user_key=f"{CHANNEL}:{user_id}")
    except FilingError as err:
        return error_response(err)
    return web.json_response(filing_json(ctx, row))


# -- reviewers -----------------------------------------------------------------------------
@staff_route(*REVIEWERS)
async def list_filings(request: web.Request) -> web.Response:
    staff = staff_of(request)
    try:
        query = QueueQuery.from_params(dict(request.query))
    except FilingError as err:
        return error_response(err)
    items, cursor = await queue(_ctx(request), query, scope=staff.district)
    return web.json_response({"items": items, "next_cursor": cursor})


@staff_route(*REVIEWERS)
async def show_filing(request: web.Request) -> web.Response:
    staff = staff_of(request)
    try:
        data = await get_filing(_ctx(request), _id(request), scope=staff.district)
    except FilingError as err:
        return error_response(err)
    return web.json_response(data)


@staff_route(*DECIDERS)
async def decide_filing(request: web.Request) -> web.Response:
    staff = staff_of(request)
    body = await read_json_object(request)
    ctx = _ctx(request)
    try:
        row = await decide(ctx, _id(request), body.get("decision"), body.get("reason"),
                           version=body.get("version"), actor=staff.actor,
                           scope=staff.district)
    except FilingError as err:
        return error_response(err)
    return web.json_response(filing_json(ctx, row))


__all__ = ["OPENAPI_PATHS", "OPENAPI_SCHEMAS", "setup"]


def setup(app: web.Application) -> None:
    app.router.add_post("/api/v1/filings", create_filing)
    app.router.add_get("/api/v1/filings", list_filings)
    app.router.add_get("/api/v1/filings/mine", my_filings)
    app.router.add_get(r"/api/v1/filings/{id:\d{1,9}}", show_filing)
    app.router.add_put(r"/api/v1/filings/{id:\d{1,9}}", resubmit_filing)
    app.router.add_post(r"/api/v1/filings/{id:\d{1,9}}/withdraw", withdraw_filing)
    app.router.add_post(r"/api/v1/filings/{id:\d{1,9}}/decision", decide_filing)
