"""Forms made in the flow studio (docs/flows-studio.md): the template, the share link,
the poster QR, the live submission count and the export of submissions.

* ``POST /api/v1/admin/flow-templates/form`` (admin) → ``{"name", "yaml"}``: a new
  form's flow from the template's answers (:mod:`bot.dialogue.flows.template`)
* ``GET /api/v1/admin/flows/{name}/submissions`` → ``{"name", "count", "latest_at",
  "share_url"}``
* ``GET …/{name}/submissions.csv`` and ``….xlsx``: every submission; identity answers
  (ID numbers, phones, masked names) in clear for admins only, masked for auditors;
  every export is in the audit log (``flows.export``)
* ``GET …/{name}/poster.png``: the share link as a QR code
* ``GET /f/{name}`` (anyone): the web chat, started on that flow
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.dialogue.flows.model import CollectStep, Flow
from bot.dialogue.flows.registry import FlowRegistry
from bot.dialogue.flows.template import AUDIENCES, QUESTION_TYPES, TemplateError, form_yaml
from bot.dialogue.slots import SLOT_TYPES
from bot.services.form_exports import submission_count, submissions, to_csv, to_xlsx
from bot.services.ops.geo import districts
from bot.services.staff import audit
from bot.web.flows_api import EDITORS, READERS
from bot.web.forms_doc import OPENAPI_PATHS
from bot.web.json_body import read_json_object
from bot.web.keys import HUB_KEY
from bot.web.middlewares import json_error
from bot.web.staff_auth import staff_of, staff_route

IDENTITY_TYPES = frozenset({"id_number", "phone"})
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _flow(request: web.Request) -> Flow | None:
    flows = request.app[HUB_KEY].flows
    assert isinstance(flows, FlowRegistry), "the web app's hub has its dialogue"
    return flows.flows.get(request.match_info["name"])


def share_url(request: web.Request, name: str) -> str:
    return request.app[HUB_KEY].settings.public_url.rstrip("/") + "/f/" + quote(name)


@staff_route(*EDITORS)
async def template_choices(request: web.Request) -> web.Response:
    """What the template offers: question types, audiences, districts."""
    return web.json_response({
        "question_types": {k: v[0] for k, v in QUESTION_TYPES.items()},
        "audiences": list(AUDIENCES),
        "districts": [{"code": d.code, "zh": d.zh, "en": d.en} for d in districts()]})


@staff_route(*EDITORS)
async def template(request: web.Request) -> web.Response:
    try:
        name, text = form_yaml(await read_json_object(request))
    except TemplateError as err:
        return json_error(422, "invalid", err.en, message_zh=err.zh)
    return web.json_response({"name": name, "yaml": text})


@staff_route(*READERS)
async def count(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    n, latest = await submission_count(request.app[HUB_KEY], name)
    return web.json_response({"name": name, "count": n,
                              "latest_at": latest.isoformat() if latest else None,
                              "share_url": share_url(request, name)},
                             headers={"Cache-Control": "no-store"})


def _reveal(flow: Flow | None, clear: bool) -> Any:
    """What each answer shows: everything for admins; identity answers masked else."""
    steps = {s.slot: s for s in flow.steps if isinstance(s, CollectStep)} if flow else {}

    def reveal(field: str, value: Any) -> Any:
        step = steps.get(field)
        if clear or step is None or value in (None, ""):
            return value
        identity = step.type in IDENTITY_TYPES or (
            step.type == "text" and step.params.get("mask", "none") != "none")
        return SLOT_TYPES[step.type].mask(value, "zh", step.params) if identity else value

    return reveal


async def _export(request: web.Request, fmt: str) -> web.Response:
    hub, staff = request.app[HUB_KEY], staff_of(request)
    name = request.match_info["name"]
    flow = _flow(request)
    clear = staff.role == "admin"
    fields = [s.slot for s in flow.steps if isinstance(s, CollectStep)] if flow else None
    columns, rows = await submissions(hub, name, _reveal(flow, clear), fields)
    await audit(hub, actor=staff.actor, action="flows.export", object=f"flow:{name}",
                detail={"format": fmt, "rows": len(rows), "identity_in_clear": clear})
    body = to_csv(columns, rows) if fmt == "csv" else to_xlsx(columns, rows, name)
    return web.Response(body=body, headers={
        "Content-Type": "text/csv; charset=utf-8" if fmt == "csv" else XLSX,
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"',
        "Cache-Control": "no-store"})


@staff_route(*READERS)
async def export_csv(request: web.Request) -> web.Response:
    return await _export(request, "csv")


@staff_route(*READERS)
async def export_xlsx(request: web.Request) -> web.Response:
    return await _export(request, "xlsx")


@staff_route(*READERS)
async def poster(request: web.Request) -> web.Response:
    import qrcode

    img = qrcode.make(share_url(request, request.match_info["name"]), box_size=10, border=3)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return web.Response(body=out.getvalue(), content_type="image/png")


async def open_form(request: web.Request) -> web.Response:
    """The share link: the web chat, started on the form (404 when it is not live)."""
    flow = _flow(request)
    if flow is None:
        raise web.HTTPNotFound(text="没有这个表单 / No such form", content_type="text/plain")
    raise web.HTTPFound(f"/chat?start={quote(flow.id)}")


__all__ = ["OPENAPI_PATHS", "setup", "share_url"]

_FLOW = r"/api/v1/admin/flows/{name:[A-Za-z][A-Za-z0-9_]{0,59}}"


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/admin/flow-templates/form", template_choices)
    app.router.add_post("/api/v1/admin/flow-templates/form", template)
    app.router.add_get(_FLOW + "/submissions", count)
    app.router.add_get(_FLOW + "/submissions.csv", export_csv)
    app.router.add_get(_FLOW + "/submissions.xlsx", export_xlsx)
    app.router.add_get(_FLOW + "/poster.png", poster)
    app.router.add_get(r"/f/{name:[A-Za-z][A-Za-z0-9_]{0,59}}", open_form)
