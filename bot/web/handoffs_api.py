"""The handoff inbox over JSON (docs/handoffs.md): staff answer residents who asked for a
person.

``GET /api/v1/handoffs?state=open|claimed|closed&limit=`` → ``{"items": [...]}``;
``GET /api/v1/handoffs/{id}`` → the request, the turns before it and its thread,
unsealed (audited); ``GET /api/v1/handoffs/{id}/messages?after=&wait=`` long-polls the
thread; ``POST …/{id}/claim``, ``POST …/{id}/reply`` ``{"text"}``, ``POST …/{id}/close``.
Roles: ``operator``, ``community_worker``, ``admin`` (``auditor`` reads), scoped to the
account's district. Errors: ``{"error", "message", "message_zh"}``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from bot.services.handoffs import HandoffError, Handoffs, handoffs
from bot.services.handoffs import inbox as ops
from bot.web.chat_api import read_json_object
from bot.web.keys import HUB_KEY
from bot.web.middlewares import json_error
from bot.web.staff_auth import staff_of, staff_route

HANDLERS = ("operator", "community_worker", "admin")  #: claim, reply, close
READERS = (*HANDLERS, "auditor")  #: list and read
MAX_WAIT_SECONDS = 25.0
POLL_SECONDS = 0.5


def _h(request: web.Request) -> Handoffs:
    return handoffs(request.app[HUB_KEY])


def _id(request: web.Request) -> int:
    return int(request.match_info["id"])  # the route allows digits only


def _error(err: HandoffError) -> web.Response:
    return json_error(err.status, err.code, err.en, message_zh=err.zh)


def _number(request: web.Request, name: str, default: float, low: float,
            high: float) -> float:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        raise HandoffError(422, "invalid", f"参数 {name} 须在 {low:g} 到 {high:g} 之间。",
                           f"'{name}' must be a number within {low:g}..{high:g}.")
    return value


@staff_route(*READERS)
async def list_handoffs(request: web.Request) -> web.Response:
    try:
        limit = int(_number(request, "limit", 100, 1, ops.MAX_LIST))
        items = await ops.inbox(_h(request), staff_of(request),
                                request.query.get("state", "open"), limit)
    except HandoffError as err:
        return _error(err)
    return web.json_response({"items": items})


@staff_route(*READERS)
async def show_handoff(request: web.Request) -> web.Response:
    try:
        return web.json_response(await ops.conversation(_h(request), staff_of(request),
                                                        _id(request)))
    except HandoffError as err:
        return _error(err)


@staff_route(*READERS)
async def thread(request: web.Request) -> web.Response:
    """New thread messages after ``after``, waiting up to ``wait`` seconds for some."""
    h, staff, handoff_id = _h(request), staff_of(request), _id(request)
    try:
        after = int(_number(request, "after", 0, 0, 2 ** 53))
        wait = _number(request, "wait", 0, 0, MAX_WAIT_SECONDS)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while (found := await ops.thread_after(h, staff, handoff_id, after)) is None:
            if loop.time() >= deadline:
                state = await h.status(handoff_id)
                return web.json_response({"id": handoff_id, "state": state, "messages": []})
            await asyncio.sleep(POLL_SECONDS)
    except HandoffError as err:
        return _error(err)
    return web.json_response(found)


async def _act(request: web.Request, work: Any) -> web.Response:
    try:
        return web.json_response(await work(_h(request), staff_of(request), _id(request)))
    except HandoffError as err:
        return _error(err)


@staff_route(*HANDLERS)
async def claim(request: web.Request) -> web.Response:
    return await _act(request, ops.claim)


@staff_route(*HANDLERS)
async def close(request: web.Request) -> web.Response:
    return await _act(request, ops.close)


@staff_route(*HANDLERS)
async def reply(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    unknown = set(body) - {"text"}
    if unknown:
        return json_error(422, "invalid", f"unknown fields: {', '.join(sorted(unknown))}",
                          message_zh="只接受 text 字段。")
    try:
        message = await ops.reply(_h(request), staff_of(request), _id(request),
                                  body.get("text"))
    except HandoffError as err:
        return _error(err)
    return web.json_response(message, status=201)


__all__ = ["OPENAPI_PATHS", "setup"]

_ID = r"{id:\d{1,9}}"


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/handoffs", list_handoffs)
    app.router.add_get(f"/api/v1/handoffs/{_ID}", show_handoff)
    app.router.add_get(f"/api/v1/handoffs/{_ID}/messages", thread)
    app.router.add_post(f"/api/v1/handoffs/{_ID}/claim", claim)
    app.router.add_post(f"/api/v1/handoffs/{_ID}/reply", reply)
    app.router.add_post(f"/api/v1/handoffs/{_ID}/close", close)


def _doc(summary: str, roles: tuple[str, ...], ok: str, *errors: str, status: str = "200",
         body: dict[str, Any] | None = None,
         params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    codes = {"401": "not staff (a resident's token included)", "403": "another role",
             "404": "no such request, or outside the caller's district",
             "409": "closed, or claimed by someone else", "422": "bad input"}
    op: dict[str, Any] = {
        "summary": f"{summary} Staff route (roles: {', '.join(roles)}).",
        "responses": {status: {"description": ok},
                      **{c: {"description": codes[c]} for c in ("401", "403", *errors)
                         if c in codes}}}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": body}}}
    if params:
        op["parameters"] = params
    return op


def _q(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema}


OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/handoffs": {"get": _doc(
        "Handoff requests in one state, waiting longest first (closed: newest first).",
        READERS, "{items: [{id, state, channel, waiting_since, created_at, flow, lang, "
        "district, claimed_by, claimed_at, closed_by, closed_at}]}", "422",
        params=[_q("state", {"type": "string", "enum": ["open", "claimed", "closed"],
                             "default": "open"}),
                _q("limit", {"type": "integer", "minimum": 1, "maximum": ops.MAX_LIST})])},
    "/api/v1/handoffs/{id}": {"get": _doc(
        "A request with the turns before it (transcript) and its thread (messages), "
        "unsealed; each read is in the staff audit log.", READERS,
        "the request, transcript: [{in, out}], messages: [{id, at, author, text | event}]",
        "404")},
    "/api/v1/handoffs/{id}/messages": {"get": _doc(
        "Long-poll the thread: messages after `after`, waiting up to `wait` seconds.",
        READERS, "{id, state, messages}", "404", "422",
        params=[_q("after", {"type": "integer", "minimum": 0}),
                _q("wait", {"type": "number", "minimum": 0, "maximum": MAX_WAIT_SECONDS})])},
    "/api/v1/handoffs/{id}/claim": {"post": _doc(
        "Claim a request: the resident's messages come to the caller; the resident is told.",
        HANDLERS, "the request", "404", "409")},
    "/api/v1/handoffs/{id}/reply": {"post": _doc(
        f"Reply to the resident on their own channel (at most {ops.MAX_REPLY} characters); "
        "the caller must hold the claim.", HANDLERS, "the message", "404", "409",
        "422", status="201", body={"type": "object", "required": ["text"], "properties": {
            "text": {"type": "string", "pattern": r"\S", "maxLength": ops.MAX_REPLY}}})},
    "/api/v1/handoffs/{id}/close": {"post": _doc(
        "Close a request (an admin may close anyone's): the bot answers the resident again "
        "and tells them so.", HANDLERS, "the request", "404", "409")},
}
