"""``/api/v1/openapi.json``: assembled from every mounted web module's ``OPENAPI_PATHS``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiohttp import web

import bot
from bot.web.keys import WEB_MODULES_KEY, WebModule


def build_openapi(modules: Iterable[WebModule]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the web modules ``modules`` (the app's mounted ones)."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Error": {"type": "object", "required": ["error", "message"],
                                         "properties": {"error": {"type": "string"},
                                                        "message": {"type": "string"}}}}
    for module in modules:
        paths.update(getattr(module, "OPENAPI_PATHS", {}))
        schemas.update(getattr(module, "OPENAPI_SCHEMAS", {}))
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
    return web.json_response(build_openapi(modules))


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/openapi.json", openapi)


OPENAPI_PATHS = {"/api/v1/openapi.json": {"get": {
    "summary": "This document", "security": [],
    "responses": {"200": {"description": "OpenAPI 3.1 JSON"}}}}}
