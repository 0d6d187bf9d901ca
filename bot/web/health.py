"""Liveness and readiness: ``/healthz`` (the process answers, the database too) and
``/readyz`` (200 when this process should get traffic: the database answers, its
migrations are the code's, and the keys are loaded; else 503 naming what is not).

Features add their own readiness checks with :func:`add_ready_check` (the health-code
feature: its signing keys open).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import sqlalchemy as sa
from aiohttp import web

from bot.db.migrate import missing_revisions, revision_parents
from bot.hub import Hub
from bot.web.keys import HUB_KEY, SETTINGS_KEY

#: ``async (hub) -> problem or None``; a raised exception is a problem too
ReadyCheck = Callable[[Hub], Awaitable[str | None]]
READY_CHECKS_KEY: web.AppKey[dict[str, ReadyCheck]] = web.AppKey("ready_checks", dict)
CHECK_SECONDS = 2.0  #: a check taking longer is a problem (a database that hangs)


def add_ready_check(app: web.Application, name: str, check: ReadyCheck) -> None:
    """Make ``/readyz`` answer 503 while ``check`` reports a problem."""
    app.setdefault(READY_CHECKS_KEY, {})[name] = check


async def healthz(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    async with hub.db.engine.connect() as conn:
        await conn.execute(sa.text("SELECT 1"))
    return web.json_response({"ok": True, "flows": len(hub.flows.flows) if hub.flows else 0})


async def readyz(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    checks: dict[str, str] = {}
    for name, check in request.app[READY_CHECKS_KEY].items():
        try:
            problem = await asyncio.wait_for(check(hub), CHECK_SECONDS)
        except Exception as err:  # noqa: BLE001 - any failure is "not ready", named
            problem = f"{type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}"
        checks[name] = problem or "ok"
    ready = all(v == "ok" for v in checks.values())
    return web.json_response({"ready": ready, "checks": checks}, status=200 if ready else 503)


def _migrations(parents: dict[str, frozenset[str]]) -> ReadyCheck:
    async def check(hub: Hub) -> str | None:
        async with hub.db.engine.connect() as conn:
            applied = set(await conn.scalars(sa.text("SELECT version_num FROM alembic_version")))
        missing = missing_revisions(parents, applied)
        return f"not applied: {', '.join(missing)} (run tongguan db upgrade)" if missing else None

    return check


async def _secret(hub: Hub) -> str | None:
    hub.sealer.open(hub.sealer.seal({"ready": True}))  # the sealing key works both ways
    return None


def setup(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    parents = revision_parents(app[SETTINGS_KEY].database_url)
    add_ready_check(app, "database", _database)
    add_ready_check(app, "migrations", _migrations(parents))
    add_ready_check(app, "secret_key", _secret)


async def _database(hub: Hub) -> str | None:
    async with hub.db.engine.connect() as conn:
        await conn.execute(sa.text("SELECT 1"))
    return None


_READY = {"type": "object", "required": ["ready", "checks"], "properties": {
    "ready": {"type": "boolean"},
    "checks": {"type": "object", "additionalProperties": {"type": "string"},
               "description": "each check: `ok` or the problem"}}}

OPENAPI_PATHS = {
    "/healthz": {"get": {"summary": "Liveness and database check", "security": [],
                         "responses": {"200": {"description": "ok"}}}},
    "/readyz": {"get": {
        "summary": "Readiness: database reachable, migrations current, keys loaded",
        "security": [],
        "responses": {
            "200": {"description": "ready", "content": {"application/json": {
                "schema": _READY}}},
            "503": {"description": "not ready; `checks` names what is not", "content": {
                "application/json": {"schema": _READY}}}}}},
}
