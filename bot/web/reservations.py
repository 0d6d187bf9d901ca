"""Web side of reservations: open stock feed, mini-program API, store page, sweeper.

Routes: ``GET /api/v1/stock`` (JSON or ``?format=csv``), ``POST /api/v1/reservations``,
``GET /pickup/{code}/qr.png``, ``GET /store`` and ``/api/v1/store/*`` (staff, cookie).
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import time
from typing import Any

from aiohttp import web
from sqlalchemy.exc import IntegrityError

from bot.services.reservations import idempotency, pickup_codes
from bot.services.reservations.api_doc import OPENAPI_PATHS, OPENAPI_SCHEMAS
from bot.services.reservations.context import SupplyContext
from bot.services.reservations.errors import ReservationError
from bot.services.reservations.redeem import redeem, today
from bot.services.reservations.report import stock_feed
from bot.services.reservations.residents import Outcome, ReserveRequest, reserve
from bot.services.reservations.service import supply_context
from bot.services.reservations.staff import StaffMember, lookup, member_at_store
from bot.services.staff import logout, principal_for
from bot.web import staff_api
from bot.web.auth import require_session
from bot.web.json_body import read_json_object
from bot.web.keys import BACKGROUND_KEY, HUB_KEY
from bot.web.middlewares import json_error
from bot.web.ratelimit import limit
from bot.web.staff_auth import COOKIE, staff_of, staff_route
from bot.web.staff_pages import add_staff_page

FEED_TTL = 2.0  #: server-side cache; with max-age 3 a client is never > 5 s behind
FEED_MAX_AGE = 3
FIELDS = ("product", "store", "quantity", "name", "id_number")
OPTIONAL = ("for",)  #: ``"self"`` (the default: bound to this session) or ``"other"``
FOR = {"self": False, "other": True}  #: ``for`` → a proxy reservation
CACHE_KEY = web.AppKey("reservations_feed_cache", dict)


def ctx_of(request: web.Request) -> SupplyContext:
    return supply_context(request.app[HUB_KEY])


def error_response(err: ReservationError) -> web.Response:
    resp = json_error(err.status, err.code, err.en, message_zh=err.zh, **err.detail)
    if err.status == 429 and "retry_after" in err.detail:
        resp.headers["Retry-After"] = str(err.detail["retry_after"])
    return resp


async def stock(request: web.Request) -> web.Response:
    """The open feed: per store and product, today's released, remaining, updated_at."""
    fmt = request.query.get("format", "json")
    if fmt not in ("json", "csv"):
        return json_error(422, "invalid", "format must be json or csv")
    cache = request.app[CACHE_KEY]
    hit = cache.get(fmt)
    if hit is None or time.monotonic() - hit[0] > FEED_TTL:
        ctx = ctx_of(request)
        day = ctx.rules.city_day(ctx.clock.now())
        rows = [r.to_json() for r in await stock_feed(ctx, day)]
        if fmt == "csv":
            buf = io.StringIO()
            writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else
                                    ["store", "product", "released", "remaining", "updated_at"])
            writer.writeheader()
            writer.writerows(rows)
            body, ctype = buf.getvalue().encode(), "text/csv"
        else:
            body = json.dumps({"day": day.isoformat(), "generated_at": ctx.clock.now()
                               .isoformat(), "stock": rows}, ensure_ascii=False).encode()
            ctype = "application/json"
        hit = (time.monotonic(), '"' + hashlib.sha256(body).hexdigest()[:32] + '"', body, ctype)
        cache[fmt] = hit
    _, etag, body, ctype = hit
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={FEED_MAX_AGE}"}
    if etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type=ctype, charset="utf-8", headers=headers)


def _status_of(out: Outcome) -> int:
    return 201 if out.kind == "reserved" else 202


async def create_reservation(request: web.Request) -> web.Response:
    """Reserve for a mini-program client; ``Idempotency-Key`` replays the first answer.

    ``"for": "self"`` (the default) reserves with the session's own ID number (bound to
    the session on first use, as a health declaration binds it); ``"other"`` for a family
    member, a dependant of the session within ``declarations.max_dependants``."""
    user_id = await require_session(request)
    body = await read_json_object(request)
    if [f for f in FIELDS if f not in body]:
        return json_error(422, "invalid", "fields required: " + ", ".join(FIELDS))
    if [k for k in body if k not in FIELDS + OPTIONAL]:
        return json_error(422, "invalid", "unknown field(s): " + ", ".join(
            sorted(k for k in body if k not in FIELDS + OPTIONAL)))
    whom = body.get("for", "self")
    if not isinstance(whom, str) or whom not in FOR:
        return json_error(422, "invalid", '"for" must be "self" or "other"', field="for")
    ctx = ctx_of(request)
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > idempotency.MAX_KEY:
        return json_error(422, "invalid", "Idempotency-Key is too long")
    khash = idempotency.key_hash(ctx, user_id, key) if key else ""
    bhash = idempotency.body_hash(ctx, body) if key else ""
    if key and (prior := await idempotency.recall(ctx, khash)) is not None:
        return _replay(prior, bhash)
    req = ReserveRequest(product=str(body["product"]), store=str(body["store"]),
                         quantity=body["quantity"], name=str(body["name"]),
                         id_number=str(body["id_number"]), channel="web", user_id=user_id,
                         proxy=FOR[whom])

    async def keep(session: Any, out: Outcome) -> None:
        if key:
            await idempotency.remember(ctx, khash, bhash, _status_of(out), out.to_json(),
                                       session=session)

    try:
        out = await reserve(ctx, req, after=keep if key else None)
    except ReservationError as err:
        if not key:
            return error_response(err)
        payload = {"error": err.code, "message": err.en, "message_zh": err.zh, **err.detail}
        await idempotency.remember(ctx, khash, bhash, err.status, payload)
    except IntegrityError:
        if not key:
            raise
    else:
        return web.json_response(out.to_json(), status=_status_of(out))
    prior = await idempotency.recall(ctx, khash)
    assert prior is not None
    return _replay(prior, bhash)


def _replay(prior: idempotency.Stored, bhash: str) -> web.Response:
    if prior.body_hash != bhash:
        return json_error(422, "idempotency_mismatch",
                          "this Idempotency-Key was used with a different body")
    return web.json_response(prior.response, status=prior.status,
                             headers={"Idempotent-Replayed": "true"})


async def pickup_qr(request: web.Request) -> web.Response:
    code = pickup_codes.normalize(request.match_info["code"])
    if code is None:
        raise web.HTTPNotFound()
    png = await asyncio.get_running_loop().run_in_executor(None, pickup_codes.qr_png, code)
    return web.Response(body=png, content_type="image/png",
                        headers={"Cache-Control": "private, max-age=86400"})


async def _staff(request: web.Request) -> StaffMember:
    """The store staff member calling (the staff login, role ``store_staff``)."""
    who = staff_of(request)
    member = await member_at_store(ctx_of(request), who.account_id, who.username, who.store)
    if member is None:
        raise web.HTTPForbidden(text=json_error(403, "no_store", "this account has no store",
                                                message_zh="该账号未关联门店。").text,
                                content_type="application/json")
    return member


async def store_login(request: web.Request) -> web.StreamResponse:
    """The staff login (``POST /api/v1/staff/sessions``) kept at its old path for the
    store page: the same cookies, plus the store; other roles get 403."""
    resp = await staff_api.create_session(request)
    if resp.status != 200:
        return resp
    token = resp.cookies[COOKIE].value
    who = await principal_for(request.app[HUB_KEY], token)
    member = None if who is None or who.role != "store_staff" else \
        await member_at_store(ctx_of(request), who.account_id, who.username, who.store)
    if who is None or member is None:
        if who is not None:
            await logout(request.app[HUB_KEY], token, who)
        refused = json_error(403, "not_store_staff", "this account is not a store's staff",
                             message_zh="该账号不是门店员工账号。")
        staff_api.clear_cookies(refused)
        return refused
    body = json.loads(resp.text or "{}")
    body.update(store=member.store_code, store_name=member.store_name)
    out = web.json_response(body)
    for morsel in resp.cookies.values():
        out.cookies[morsel.key] = morsel
    return out


@staff_route("store_staff")
async def store_me(request: web.Request) -> web.Response:
    member = await _staff(request)
    return web.json_response({"username": member.username, "store": member.store_code,
                              "store_name": member.store_name})


@staff_route("store_staff")
async def store_code(request: web.Request) -> web.Response:
    """``POST /api/v1/store/lookup`` or ``/redeem`` with ``{"code": ...}``."""
    member = await _staff(request)
    await limit(request, "pickup", f"account:{member.id}")
    typed = (await read_json_object(request)).get("code", "")
    if not isinstance(typed, str):
        return json_error(422, "invalid", '"code" must be a string',
                          message_zh="取货码须为字符串。")
    typed = typed[:64]
    ctx = ctx_of(request)
    act = lookup if request.match_info["op"] == "lookup" else redeem
    try:
        ticket = await act(ctx, member, typed)
    except ReservationError as err:
        return error_response(err)
    return web.json_response(ticket.to_json(ctx))


@staff_route("store_staff")
async def store_today(request: web.Request) -> web.Response:
    member = await _staff(request)
    return web.json_response(await today(ctx_of(request), member))


__all__ = ["BACKGROUND_KEY", "OPENAPI_PATHS", "OPENAPI_SCHEMAS", "setup"]


def setup(app: web.Application) -> None:
    app[CACHE_KEY] = {}
    app.router.add_get("/api/v1/stock", stock)
    app.router.add_post("/api/v1/reservations", create_reservation)
    app.router.add_get("/pickup/{code}/qr.png", pickup_qr)
    add_staff_page(app, "store", "store", frozenset({"store.js", "store.css"}))
    app.router.add_post("/api/v1/store/login", store_login)
    app.router.add_get("/api/v1/store/me", store_me)
    app.router.add_get("/api/v1/store/today", store_today)
    app.router.add_post("/api/v1/store/{op:lookup|redeem}", store_code)
