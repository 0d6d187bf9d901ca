"""``/api/v1/openapi.json``: assembled from every mounted feature's ``OPENAPI_PATHS``."""

from __future__ import annotations

import importlib
from typing import Any

from aiohttp import web

import bot


def build_openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every feature module present."""
    from bot.web.app import FEATURE_MODULES

    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Error": {"type": "object", "required": ["error", "message"],
                                         "properties": {"error": {"type": "string"},
                                                        "message": {"type": "string"}}}}
    for name in FEATURE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
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
    return web.json_response(build_openapi())


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/openapi.json", openapi)


OPENAPI_PATHS = {"/api/v1/openapi.json": {"get": {
    "summary": "This document", "security": [],
    "responses": {"200": {"description": "OpenAPI 3.1 JSON"}}}}}
