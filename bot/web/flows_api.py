"""The flow studio's JSON API (docs/flows-studio.md): published flow versions, checks,
previews, publishing and rollback. Role ``admin``; ``auditor`` may read (the GETs).

* ``GET /api/v1/admin/flows`` → ``{"items": [{"name", "version", "kind", "title",
  "author", "note", "published_at", "live"}]}``
* ``GET /api/v1/admin/flows/{name}`` → ``{"name", "version", "yaml", "history"}``
* ``POST …/{name}/validate`` ``{"yaml"}`` → ``{"ok", "problems": [{"line", "column",
  "message", "rule"}]}``
* ``POST …/{name}/preview`` ``{"yaml", "text", "preview_id"?}`` → ``{"preview_id",
  "replies"}`` (actions dry-run: :mod:`bot.dialogue.preview`)
* ``POST …/{name}/publish`` ``{"yaml", "note", "base_version"}`` → 201 ``{"version"}``;
  409 when another version was published meanwhile, 422 when invalid
* ``POST …/{name}/rollback`` ``{"version"}`` → 201 ``{"version", "rollback_of"}`` (a new
  version copying that one); 422 when it no longer passes today's checks
* ``GET …/{name}/diff?from=&to=`` → ``{"name", "from", "to", "diff"}`` (unified diff)
* ``GET …/{name}/diagram.svg?version=`` (a published version) and ``POST
  …/{name}/diagram.svg`` ``{"yaml"}`` (a draft, as far as it parses)

Publishes and rollbacks are in the staff audit log; the live version is never touched
by a refused one. Errors: ``{"error", "message", "message_zh"}`` (+ ``problems``).
"""

from __future__ import annotations

import difflib

from aiohttp import web

from bot.dialogue.flows.diagram import flow_svg, menu_svg
from bot.dialogue.flows.draft import NAME, Problem, check_draft
from bot.dialogue.flows.loader import parse_flow
from bot.dialogue.flows.model import Flow, Menu
from bot.dialogue.flows.published import refresh
from bot.dialogue.flows.registry import FlowRegistry
from bot.dialogue.preview import PreviewExpired, preview_turn
from bot.services.flow_versions import StaleBase, VersionRow, flow_versions
from bot.web.api_refusals import Refused, handled, refuse, typed_body
from bot.web.flows_api_doc import OPENAPI_PATHS
from bot.web.keys import HUB_KEY
from bot.web.staff_auth import staff_of, staff_route

EDITORS = ("admin",)  #: validate, preview, publish, roll back
READERS = ("admin", "auditor")  #: list, read, diff, diagram
MAX_NOTE = 500
MAX_TEXT = 2000  #: characters of a preview message


def _registry(request: web.Request) -> FlowRegistry:
    flows = request.app[HUB_KEY].flows
    assert isinstance(flows, FlowRegistry), "the web app's hub has its dialogue"
    return flows


def _name(request: web.Request) -> str:
    return request.match_info["name"]


def _check(request: web.Request, text: str) -> tuple[Flow | Menu | None, list[Problem]]:
    return check_draft(_registry(request), _name(request), text,
                       max_bytes=request.app[HUB_KEY].settings.flows_max_bytes)


def _problems_error(problems: list[Problem], what: str) -> Refused:
    first = problems[0]
    return refuse(422, "invalid_flow",
                   f"{what}: line {first.line}: {first.message}"[:400],
                   f"流程有问题（第 {first.line} 行），未发布：{first.message}"[:400],
                   problems=[p.to_json() for p in problems])


def _kind(obj: Flow | Menu | None) -> str:
    return "flow" if isinstance(obj, Flow) else "menu" if isinstance(obj, Menu) else "other"


@staff_route(*READERS)
@handled
async def list_flows(request: web.Request) -> web.Response:
    registry = _registry(request)
    live = await flow_versions(request.app[HUB_KEY]).live()
    items = []
    for name, row in sorted(live.items()):
        flow = registry.flows.get(name)
        obj = flow if flow is not None else parse_flow(row.yaml, name).obj
        title = obj.title if isinstance(obj, Flow) else None
        items.append({"name": name, "version": row.version, "kind": _kind(obj),
                      "title": {"zh": title.zh, "en": title.en} if title else None,
                      "author": row.author, "note": row.note,
                      "published_at": row.published_at.isoformat(),
                      "live": flow is not None or not isinstance(obj, Flow)})
    return web.json_response({"items": items})


async def _history(request: web.Request) -> list[VersionRow]:
    history = await flow_versions(request.app[HUB_KEY]).history(_name(request))
    if not history:
        raise refuse(404, "not_found", f"no flow named {_name(request)!r}", "没有这个流程。")
    return history


@staff_route(*READERS)
@handled
async def show_flow(request: web.Request) -> web.Response:
    history = await _history(request)
    return web.json_response({"name": _name(request), "version": history[0].version,
                              "yaml": history[0].yaml,
                              "history": [row.summary() for row in history]})


@staff_route(*EDITORS)
@handled
async def validate(request: web.Request) -> web.Response:
    body = await typed_body(request, {"yaml": (str,)}, {"yaml"})
    _obj, problems = _check(request, body["yaml"])
    return web.json_response({"ok": not problems, "problems": [p.to_json() for p in problems]})


@staff_route(*EDITORS)
@handled
async def preview(request: web.Request) -> web.Response:
    body = await typed_body(request, {"yaml": (str,), "text": (str,),
                                 "preview_id": (str, type(None))}, {"yaml"})
    text = body.get("text") or ""
    if len(text) > MAX_TEXT:
        raise refuse(422, "invalid", f"'text' is longer than {MAX_TEXT} characters",
                      f"消息超过 {MAX_TEXT} 字。")
    if body.get("preview_id") and not text.strip():
        raise refuse(422, "invalid", "'text' is required to continue a preview",
                      "请输入要发送的消息。")
    obj, problems = _check(request, body["yaml"])
    if problems:
        raise _problems_error(problems, "the draft has problems")
    if not isinstance(obj, Flow):
        raise refuse(422, "not_a_flow", "only a flow can be previewed", "只有流程可以预览。")
    try:
        preview_id, replies = await preview_turn(
            request.app[HUB_KEY], _registry(request), obj, text=text,
            preview_id=body.get("preview_id") or None)
    except PreviewExpired as err:
        raise refuse(422, "preview_expired", str(err), "预览已失效，请重新开始预览。") from err
    return web.json_response({"preview_id": preview_id,
                              "replies": [r.to_json() for r in replies]})


@staff_route(*EDITORS)
@handled
async def publish(request: web.Request) -> web.Response:
    body = await typed_body(request, {"yaml": (str,), "note": (str,),
                                 "base_version": (int, type(None))}, {"yaml", "base_version"})
    note = (body.get("note") or "").strip()
    if len(note) > MAX_NOTE:
        raise refuse(422, "invalid", f"'note' is longer than {MAX_NOTE} characters",
                      f"说明超过 {MAX_NOTE} 字。")
    _obj, problems = _check(request, body["yaml"])
    if problems:
        raise _problems_error(problems, "not published")
    hub, staff = request.app[HUB_KEY], staff_of(request)
    try:
        version = await flow_versions(hub).publish(
            _name(request), body["yaml"], author=staff.username, note=note,
            base_version=body["base_version"], audit_action="flows.publish",
            actor=staff.actor)
    except StaleBase as err:
        raise refuse(409, "stale_base", f"version {err.live} was published after version "
                      f"{err.base}, which this edit started from: reload and edit again",
                      f"在您编辑期间已有人发布了版本 {err.live}，请重新载入后再改。",
                      live_version=err.live) from err
    await refresh(hub)  # this process serves it at once; the others within a poll
    return web.json_response({"version": version}, status=201)


@staff_route(*EDITORS)
@handled
async def rollback(request: web.Request) -> web.Response:
    body = await typed_body(request, {"version": (int,)}, {"version"})
    history = await _history(request)
    target = next((row for row in history if row.version == body["version"]), None)
    if target is None:
        raise refuse(404, "not_found", f"no version {body['version']} of this flow",
                      "没有这个版本。")
    _obj, problems = _check(request, target.yaml)
    if problems:
        raise _problems_error(problems, f"version {target.version} no longer passes the "
                                        "checks")
    hub, staff = request.app[HUB_KEY], staff_of(request)
    try:
        version = await flow_versions(hub).publish(
            _name(request), target.yaml, author=staff.username,
            note=f"rollback to version {target.version}", base_version=history[0].version,
            rollback_of=target.version, audit_action="flows.rollback", actor=staff.actor,
            audit_detail={"rollback_of": target.version})
    except StaleBase as err:
        raise refuse(409, "stale_base", f"version {err.live} was just published; try again",
                      "刚有人发布了新版本，请重试。", live_version=err.live) from err
    await refresh(hub)
    return web.json_response({"version": version, "rollback_of": target.version},
                             status=201)


def _version_arg(request: web.Request, key: str) -> int | None:
    raw = request.query.get(key)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise refuse(422, "invalid", f"'{key}' must be a version number",
                      f"{key} 须为版本号。")
    return int(raw)


@staff_route(*READERS)
@handled
async def diff(request: web.Request) -> web.Response:
    history = {row.version: row for row in await _history(request)}
    live = max(history)
    to = _version_arg(request, "to") or live
    frm = _version_arg(request, "from")
    frm = frm if frm is not None else max(to - 1, 1)
    for v in (frm, to):
        if v not in history:
            raise refuse(404, "not_found", f"no version {v} of this flow", "没有这个版本。")
    name = _name(request)
    lines = difflib.unified_diff(history[frm].yaml.splitlines(keepends=True),
                                 history[to].yaml.splitlines(keepends=True),
                                 fromfile=f"{name} v{frm}", tofile=f"{name} v{to}")
    return web.json_response({"name": name, "from": frm, "to": to, "diff": "".join(lines)})


def _svg(obj: Flow | Menu | None, lang: str) -> web.Response:
    if isinstance(obj, Flow):
        text = flow_svg(obj, lang)
    elif isinstance(obj, Menu):
        text = menu_svg(obj)
    else:
        raise refuse(422, "invalid_flow", "nothing to draw: the text is not a flow yet",
                      "还画不出来：内容还不是一个流程。")
    return web.Response(text=text, content_type="image/svg+xml",
                        headers={"Cache-Control": "no-store"})


def _lang(request: web.Request) -> str:
    return "en" if request.query.get("lang") == "en" else "zh"


@staff_route(*READERS)
@handled
async def diagram(request: web.Request) -> web.Response:
    history = await _history(request)
    wanted = _version_arg(request, "version")
    row = history[0] if wanted is None else next(
        (r for r in history if r.version == wanted), None)
    if row is None:
        raise refuse(404, "not_found", f"no version {wanted} of this flow", "没有这个版本。")
    return _svg(parse_flow(row.yaml, _registry(request).label(_name(request))).obj,
                _lang(request))


@staff_route(*EDITORS)
@handled
async def draft_diagram(request: web.Request) -> web.Response:
    body = await typed_body(request, {"yaml": (str,)}, {"yaml"})
    limit = request.app[HUB_KEY].settings.flows_max_bytes
    if len(body["yaml"].encode("utf-8")) > limit:
        raise refuse(422, "too_large", f"the flow is larger than {limit} bytes",
                      f"流程超过 {limit} 字节。")
    return _svg(parse_flow(body["yaml"], _name(request)).obj, _lang(request))


__all__ = ["NAME", "OPENAPI_PATHS", "setup"]

_BASE = "/api/v1/admin/flows"
_FLOW = _BASE + r"/{name:[A-Za-z][A-Za-z0-9_]{0,59}}"


def setup(app: web.Application) -> None:
    app.router.add_get(_BASE, list_flows)
    app.router.add_get(_FLOW, show_flow)
    app.router.add_post(_FLOW + "/validate", validate)
    app.router.add_post(_FLOW + "/preview", preview)
    app.router.add_post(_FLOW + "/publish", publish)
    app.router.add_post(_FLOW + "/rollback", rollback)
    app.router.add_get(_FLOW + "/diff", diff)
    app.router.add_get(_FLOW + "/diagram.svg", diagram)
    app.router.add_post(_FLOW + "/diagram.svg", draft_diagram)
