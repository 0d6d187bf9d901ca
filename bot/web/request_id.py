"""A request id for every web request: the caller's ``X-Request-Id`` when it is a sane
token (a load balancer's), else a new one; in every log event of the request
(``bot/logs.py``) and in the response's ``X-Request-Id``."""

from __future__ import annotations

import random
import re

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.logs import REQUEST_ID

HEADER = "X-Request-Id"
SANE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    given = request.headers.get(HEADER, "")
    # a correlation id, not a secret: Python's generator (re-seeded after a fork), not a
    # getrandom system call in every request
    request_id = given if SANE.match(given) else f"{random.getrandbits(64):016x}"
    token = REQUEST_ID.set(request_id)
    try:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            exc.headers[HEADER] = request_id
            raise
        if not response.prepared:
            response.headers[HEADER] = request_id
        return response
    finally:
        REQUEST_ID.reset(token)
