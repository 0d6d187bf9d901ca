"""The web / mini-program chat API under ``/api/v1``.

``POST /api/v1/sessions`` → ``{"token"}``; ``POST /api/v1/chat`` with a bearer token and
``{"text"}``, ``{"choice"}``, ``{"start"}`` or ``{"location": {"lat", "lng", "label"}}``
→ ``{"replies": [...]}``; ``GET /api/v1/history`` → the recent turns (what was sent,
what came back), for a client that reloads; ``GET /api/v1/messages?after=ID&wait=S``
long-polls messages queued for later (reminders, review outcomes) and acknowledges
those up to ``after``, the last id the client has shown: anything not acknowledged
comes again (at-least-once; a client drops ids it has already shown). The user id
always comes from the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from typing import Any

from aiohttp import web

from bot import jsonfast
from bot.messages import Inbound, Location
from bot.web.auth import CHANNEL, create_session, require_session
from bot.web.json_body import read_json_object
from bot.web.keys import HUB_KEY
from bot.web.middlewares import json_error
from bot.web.ratelimit import client_address, limit

MAX_TEXT_CHARS = 20_000
MAX_WAIT_SECONDS = 25.0
POLL_SECONDS = 0.5
HISTORY_TURNS = 30  #: turns ``GET /api/v1/history`` returns by default
MAX_HISTORY_TURNS = 100


def json_reply(data: Any, status: int = 200) -> web.Response:
    """A JSON response encoded by :mod:`bot.jsonfast` (the chat turn's hot path)."""
    return web.Response(body=jsonfast.dumps(data), status=status,
                        content_type="application/json", charset="utf-8")


def _invalid(message: str) -> web.HTTPUnprocessableEntity:
    return web.HTTPUnprocessableEntity(text=json_error(422, "invalid", message).text,
                                       content_type="application/json")


def inbound_from_body(user_id: str, body: dict[str, Any]) -> Inbound:
    """Validate a chat body into an :class:`Inbound`."""
    unknown = set(body) - {"text", "choice", "location", "start"}
    if unknown:
        raise _invalid(f"unknown fields: {', '.join(sorted(unknown))}")
    kinds = [k for k in ("text", "choice", "location", "start") if k in body]
    if len(kinds) != 1:
        raise _invalid("send exactly one of text, choice, location, start")
    kind = kinds[0]
    value = body[kind]
    if kind in ("text", "choice"):
        if not isinstance(value, str):
            raise _invalid(f"'{kind}' must be a string")
        if len(value) > MAX_TEXT_CHARS:
            raise web.HTTPRequestEntityTooLarge(
                max_size=MAX_TEXT_CHARS, actual_size=len(value),
                text=json_error(413, "too_large",
                                f"text longer than {MAX_TEXT_CHARS} characters").text,
                content_type="application/json")
        return Inbound(channel=CHANNEL, user_id=user_id, kind="text", text=value)
    if kind == "start":
        if not isinstance(value, str) or not value:
            raise _invalid("'start' names a flow id")
        return Inbound(channel=CHANNEL, user_id=user_id, kind="start", trigger="flow", value=value)
    if not isinstance(value, dict):
        raise _invalid("'location' must be an object with lat and lng")
    label = value.get("label", "")
    lat = _coordinate(value.get("lat"), "lat", 90)
    lng = _coordinate(value.get("lng"), "lng", 180)
    if not isinstance(label, str) or len(label) > 200:
        raise _invalid("'location.label' must be a string of at most 200 characters")
    return Inbound(channel=CHANNEL, user_id=user_id, kind="location",
                   location=Location(lat, lng, label))


def _coordinate(number: object, name: str, limit: int) -> float:
    if isinstance(number, bool) or not isinstance(number, (int, float)) \
            or not math.isfinite(number) or abs(number) > limit:
        raise _invalid(f"'location.{name}' must be a number within ±{limit}")
    return float(number)


async def new_session(request: web.Request) -> web.Response:
    await limit(request, "sessions", client_address(request))
    token, user_id = await create_session(request.app[HUB_KEY])
    # user_key: the chat identity staff name when they grant it a role (tongguan roles grant)
    return json_reply({"token": token, "user_key": f"{CHANNEL}:{user_id}"}, status=201)


async def chat(request: web.Request) -> web.Response:
    user_id = await require_session(request)
    await limit(request, "chat", user_id)
    inbound = inbound_from_body(user_id, await read_json_object(request))
    hub = request.app[HUB_KEY]
    replies = await hub.require_engine().handle(inbound)
    return json_reply({"replies": [r.to_json() for r in replies]})


def _int_query(request: web.Request, name: str, default: int | None, low: int,
               high: int) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _invalid(f"'{name}' must be an integer") from None
    if not low <= value <= high:
        raise _invalid(f"'{name}' must be within {low}..{high}")
    return value


def sent_body(inbound: dict[str, Any]) -> dict[str, Any] | None:
    """A logged inbound message as the ``/api/v1/chat`` body that sends it (None for a
    kind the web channel does not send)."""
    kind = inbound.get("kind")
    if kind == "text":
        return {"text": inbound.get("text", "")}
    if kind == "location" and isinstance(inbound.get("location"), dict):
        return {"location": inbound["location"]}
    if kind == "start":
        return {"start": inbound.get("value", "")}
    return None


async def history(request: web.Request) -> web.Response:
    user_id = await require_session(request)
    limit = _int_query(request, "limit", HISTORY_TURNS, 1, MAX_HISTORY_TURNS)
    assert limit is not None  # the default is a number
    store = request.app[HUB_KEY].require_engine().store
    turns = await store.recent_turns(f"{CHANNEL}:{user_id}", limit)
    return json_reply({"turns": [{"sent": sent_body(t.inbound), "replies": t.replies}
                                 for t in turns]})


def _seconds_query(request: web.Request, name: str, high: float) -> float:
    """A finite number of seconds in 0..high from the query (0 when absent), else 422."""
    raw = request.query.get(name)
    if raw is None:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0 <= value <= high:
        raise _invalid(f"'{name}' must be a number of seconds within 0..{high:g}")
    return value


def client_gone(request: web.Request) -> bool:
    """Whether the client has closed the connection."""
    transport = request.transport
    return transport is None or transport.is_closing()


async def messages(request: web.Request) -> web.Response:
    user_id = await require_session(request)
    wait = _seconds_query(request, "wait", MAX_WAIT_SECONDS)
    after = _int_query(request, "after", None, 0, 2 ** 63 - 1)
    outbox = request.app[HUB_KEY].outbox
    if after is not None:
        await outbox.acknowledge(CHANNEL, user_id, after)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    stopping = request.app[STOPPING_KEY]
    while True:
        items = await outbox.pull(CHANNEL, user_id)
        if items or loop.time() >= deadline or stopping.is_set():
            break
        if client_gone(request):  # nobody to answer: leave the messages queued
            raise web.HTTPNoContent()
        with contextlib.suppress(TimeoutError):  # a shutdown ends every poll at once
            await asyncio.wait_for(stopping.wait(), POLL_SECONDS)
    if after is None and items:  # a client that never acknowledges: delivered as returned
        await outbox.acknowledge(CHANNEL, user_id, max(i.id for i in items))
    return json_reply({"messages": [{**r.to_json(), "id": i.id}
                                    for i in items for r in i.replies]})


#: set when the app shuts down: long-polls answer at once instead of holding it up
STOPPING_KEY = web.AppKey("chat_stopping", asyncio.Event)


def setup(app: web.Application) -> None:
    app[STOPPING_KEY] = stopping = asyncio.Event()

    async def stop_polls(_app: web.Application) -> None:
        stopping.set()

    app.on_shutdown.append(stop_polls)
    app.router.add_post("/api/v1/sessions", new_session)
    app.router.add_post("/api/v1/chat", chat)
    app.router.add_get("/api/v1/messages", messages)
    app.router.add_get("/api/v1/history", history)


_REPLY = {"type": "object", "required": ["type", "text"], "properties": {
    "type": {"type": "string", "enum": ["text", "image", "link", "options"]},
    "text": {"type": "string"}, "url": {"type": "string"},
    "options": {"type": "array", "items": {"type": "object", "properties": {
        "label": {"type": "string"}, "value": {"type": "string"}}}}}}
_SEND = {"type": "object", "description": "exactly one of the properties",
         "additionalProperties": False,
         "oneOf": [{"required": [name]} for name in ("text", "choice", "start", "location")],
         "properties": {
             "text": {"type": "string", "maxLength": MAX_TEXT_CHARS},
             "choice": {"type": "string", "description": "a tapped option's value"},
             "start": {"type": "string", "description": "a flow id to start"},
             "location": {"type": "object", "required": ["lat", "lng"], "properties": {
                 "lat": {"type": "number", "minimum": -90, "maximum": 90},
                 "lng": {"type": "number", "minimum": -180, "maximum": 180},
                 "label": {"type": "string", "maxLength": 200}}}}}
_QUEUED = {"allOf": [{"$ref": "#/components/schemas/Reply"}, {
    "type": "object", "required": ["id"], "properties": {"id": {
        "type": "integer", "description": "the queued message's id (replies queued "
        "together share it); acknowledge it with ?after="}}}]}
_TURN = {"type": "object", "required": ["sent", "replies"], "properties": {
    "sent": {"oneOf": [{"$ref": "#/components/schemas/ChatMessage"}, {"type": "null"}],
             "description": "what the user sent, as the POST /api/v1/chat body "
                            "(an option's value, not its label)"},
    "replies": {"type": "array", "items": {"$ref": "#/components/schemas/Reply"}}}}
_ERROR = {"description": "error", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}


def _ok(description: str, key: str, item: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {
        "type": "object", "properties": {key: {
            "type": "array", "items": {"$ref": f"#/components/schemas/{item}"}}}}}}}


OPENAPI_SCHEMAS = {"Reply": _REPLY, "ChatMessage": _SEND, "QueuedReply": _QUEUED,
                   "Turn": _TURN}
OPENAPI_PATHS = {
    "/api/v1/sessions": {"post": {
        "summary": "Start a chat session", "security": [],
        "responses": {"201": {"description": "a bearer token", "content": {
            "application/json": {"schema": {"type": "object", "properties": {
                "token": {"type": "string"},
                "user_key": {"type": "string", "description":
                             "this chat identity (web:<id>), for a staff role grant"}}}}}}}}},
    "/api/v1/chat": {"post": {
        "summary": "Send one message; get the replies",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/ChatMessage"}}}},
        "responses": {"200": _ok("replies", "replies", "Reply"),
                      "400": _ERROR, "401": _ERROR, "413": _ERROR, "422": _ERROR}}},
    "/api/v1/history": {"get": {
        "summary": "The session's recent turns, oldest first (to redraw a reloaded chat)",
        "description": "Each turn is what the user sent and the replies, as POST "
                       "/api/v1/chat returned them. Messages from /api/v1/messages are "
                       "not included. An empty list means a new conversation.",
        "parameters": [{"name": "limit", "in": "query", "description": "turns", "schema": {
            "type": "integer", "minimum": 1, "maximum": MAX_HISTORY_TURNS,
            "default": HISTORY_TURNS}}],
        "responses": {"200": _ok("turns", "turns", "Turn"), "401": _ERROR, "422": _ERROR}}},
    "/api/v1/messages": {"get": {
        "summary": "Long-poll messages sent later (reminders, outcomes)",
        "description": "Returns at once when messages are waiting, else within `wait` "
                       "seconds. `after` acknowledges every message up to that id the "
                       "client has been given: pass the highest id shown so far (0 at "
                       "first). Messages not acknowledged are returned again, so drop "
                       "ids already shown. Without `after` messages count as delivered "
                       "when returned (no redelivery).",
        "parameters": [
            {"name": "wait", "in": "query", "description": "seconds", "schema": {
                "type": "number", "minimum": 0, "maximum": MAX_WAIT_SECONDS}},
            {"name": "after", "in": "query", "description": "the last id shown",
             "schema": {"type": "integer", "minimum": 0, "maximum": 2 ** 63 - 1}}],
        "responses": {"200": _ok("messages", "messages", "QueuedReply"),
                      "401": _ERROR, "422": _ERROR}}},
}
