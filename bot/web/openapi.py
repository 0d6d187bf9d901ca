"""``/api/v1/openapi.json``: assembled from every mounted web module's ``OPENAPI_PATHS``.

The answers every operation of a kind can give are added here, once, rather than by each
module: 400 and 413 wherever there is a body, 401 on every operation that takes
credentials, 403 (and the roles, as ``x-staff-roles``) on every staff route, 422 wherever
there is input to refuse, and 429 on the rate-limited ones (docs/security.md).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web

import bot
from bot.web.keys import WEB_MODULES_KEY, WebModule

_ERROR_REF = {"description": "error", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Error"}}}}
_STANDARD = {"400": "a body that is not a JSON object, or headers that are not text",
             "401": "no credentials, or not valid ones",
             "403": "a staff account whose role (or district) may not do this",
             "413": "a body over the size limit",
             "422": "a parameter or body that is not valid (message in zh and en)",
             "429": "too many requests: wait Retry-After seconds"}
#: operations under a rate limit (bot/web/ratelimit.py)
RATE_LIMITED = frozenset({("post", "/api/v1/sessions"), ("post", "/api/v1/chat"),
                          ("post", "/api/v1/verify"), ("post", "/api/v1/staff/sessions"),
                          ("post", "/api/v1/store/lookup"), ("post", "/api/v1/store/redeem"),
                          ("post", "/api/v1/store/login")})


def route_roles(app: web.Application) -> dict[tuple[str, str], tuple[str, ...]]:
    """(method, path template) → the roles its :func:`~bot.web.staff_auth.staff_route`
    handler takes, for every staff route of ``app``."""
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for route in app.router.routes():
        roles = getattr(route.handler, "staff_roles", None)
        canonical = getattr(route.resource, "canonical", None)
        if roles and canonical:
            path = re.sub(r"\{(\w+)(:[^}]*)?\}", r"{\1}", canonical)
            found[(route.method.lower(), path)] = tuple(roles)
    return found


def _add_standard(paths: dict[str, Any],
                  roles: Mapping[tuple[str, str], tuple[str, ...]]) -> None:
    for path, ops in paths.items():
        for method, op in ops.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            responses = op["responses"]
            wanted = []
            if op.get("security") != []:
                wanted.append("401")
            staff = roles.get((method, path))
            if staff:
                wanted.append("403")
                op.setdefault("x-staff-roles", list(staff))
            if op.get("requestBody"):
                wanted += ["400", "413"]
            if op.get("parameters") or op.get("requestBody"):
                wanted.append("422")
            if (method, path) in RATE_LIMITED:
                wanted.append("429")
            for code in wanted:
                responses.setdefault(code, {**_ERROR_REF, "description": _STANDARD[code]})


def build_openapi(modules: Iterable[WebModule],
                  roles: Mapping[tuple[str, str], tuple[str, ...]] | None = None
                  ) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the web modules ``modules`` (the app's mounted ones);
    ``roles`` (from :func:`route_roles`) marks the staff routes."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Error": {"type": "object", "required": ["error", "message"],
                                         "properties": {"error": {"type": "string"},
                                                        "message": {"type": "string"}}}}
    for module in modules:
        paths.update(getattr(module, "OPENAPI_PATHS", {}))
        schemas.update(getattr(module, "OPENAPI_SCHEMAS", {}))
    paths = copy.deepcopy(paths)  # the modules' dicts stay as written
    _add_standard(paths, roles or {})
    return {
        "openapi": "3.1.0",
        "info": {"title": "Tongguan API", "version": bot.__version__},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    }


async def openapi(request: web.Request) -> web.Response:
    modules = request.app[WEB_MODULES_KEY]  # read first: no Iterable context on the key
    return web.json_response(build_openapi(modules, route_roles(request.app)))


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/openapi.json", openapi)


OPENAPI_PATHS = {"/api/v1/openapi.json": {"get": {
    "summary": "This document", "security": [],
    "responses": {"200": {"description": "OpenAPI 3.1 JSON"}}}}}
