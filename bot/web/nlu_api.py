"""The NLU editor's JSON API (docs/nlu.md): intents and examples, checks, saving a new
version (which retrains and hot-swaps the builtin in every process), a cross-validation
report. Role ``admin``; ``auditor`` may read (the GETs).

* ``GET /api/v1/admin/nlu`` → ``{"version", "served_version", "backend", "rasa",
  "intents": [{"name", "examples"}], "extras", "history"}``
* ``POST …/nlu/check`` ``{"intents"}`` → ``{"ok", "problems": [{"kind", "severity",
  "message", "message_zh", "intent", "example", "other_intent"?, "other_example"?}]}``
* ``POST …/nlu/versions`` ``{"intents", "base_version", "note"?, "accept_conflicts"?}`` →
  201 ``{"version", "train_seconds", "intents", "examples"}``; 422 with the problems when
  an error (or an unaccepted conflict) is found, 409 when another version was saved
* ``POST …/nlu/examples`` ``{"intent", "text", "base_version"}`` → 201: one example added
  to an existing intent (same checks)
* ``POST …/nlu/parse`` ``{"text"}`` → Rasa's parse shape from this process's model
* ``GET …/nlu/report`` → cross-validation (5 folds): per intent precision, recall, F1,
  support; the confusion matrix; ``GET …/nlu/report.svg`` draws the matrix

Every save is in the staff audit log (``nlu.save``); a refused one writes nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from bot.dialogue.nlu_live import builtin_of, live_state, refresh
from bot.nlu.checks import MAX_EXAMPLE, Problem, check, known_pairs
from bot.nlu.evaluate import CrossValidation, confusion_svg, cross_validate
from bot.nlu.intent_set import IntentSet
from bot.services.nlu_versions import StaleBase, nlu_versions
from bot.web.api_refusals import Refused, handled, refuse, typed_body
from bot.web.keys import HUB_KEY
from bot.web.nlu_api_doc import OPENAPI_PATHS
from bot.web.staff_auth import staff_of, staff_route

EDITORS = ("admin",)
READERS = ("admin", "auditor")
MAX_NOTE = 500
FOLDS = 5
RASA_COMMAND = ("tongguan nlu export var/nlu && var/rasa-venv/bin/rasa train nlu --nlu "
                "var/nlu/nlu.yml --config intents/config.yml --out models  "
                "# then restart `rasa run --enable-api --model models`")


def _intents(raw: Any, extras: list[tuple[str, str, list[str]]]) -> IntentSet:
    """The ``intents`` field: ``[{"name", "examples": [text, …]}, …]``."""
    if not isinstance(raw, list):
        raise refuse(422, "invalid", "'intents' must be a list of {name, examples}",
                      "intents 须为 {name, examples} 的列表。")
    out = IntentSet(extras=extras)
    for item in raw:
        if not (isinstance(item, dict) and set(item) == {"name", "examples"}
                and isinstance(item["name"], str) and isinstance(item["examples"], list)
                and all(isinstance(e, str) for e in item["examples"])):
            raise refuse(422, "invalid", "each intent is {name: text, examples: [text]}",
                          "每个意图须为 {name: 文本, examples: [文本]}。")
        name = item["name"].strip()
        if name in out.intents:
            raise refuse(422, "invalid", f"intent {name[:80]!r} is listed twice",
                          f"意图 {name[:80]!r} 出现了两次。")
        out.intents[name] = [e.strip() for e in item["examples"]]
    return out


def _problems_error(problems: list[Problem]) -> Refused:
    first = problems[0]
    return refuse(422, "invalid_intents", f"not saved: {first.message}"[:400],
                   f"未保存：{first.message_zh}"[:400],
                   problems=[p.to_json() for p in problems[:200]])


def _current(request: web.Request) -> IntentSet:
    intents = live_state(request.app[HUB_KEY]).intents
    assert intents is not None, "open_nlu ran at start-up"
    return intents


def _rasa(request: web.Request) -> dict[str, Any]:
    nlu = request.app[HUB_KEY].settings.nlu
    configured = nlu.backend == "rasa"
    return {"configured": configured, "url": nlu.rasa_url if configured else None,
            "command": RASA_COMMAND}


@staff_route(*READERS)
@handled
async def show(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    await refresh(hub)
    state = live_state(hub)
    history = await nlu_versions(hub).history()
    body = _current(request).to_json()
    return web.json_response({
        "version": history[0].version if history else None,
        "served_version": state.version, "train_seconds": round(state.train_seconds, 3),
        "backend": hub.settings.nlu.backend, "rasa": _rasa(request),
        "history": [row.summary() for row in history], **body})


@staff_route(*EDITORS)
@handled
async def check_intents(request: web.Request) -> web.Response:
    body = await typed_body(request, {"intents": (list,)}, {"intents"})
    current = _current(request)
    intents = _intents(body["intents"], current.extras)
    problems = await asyncio.to_thread(check, intents, known_pairs(current))
    return web.json_response({"ok": not problems,
                              "problems": [p.to_json() for p in problems[:200]]})


async def _save(request: web.Request, intents: IntentSet, *, base: int | None, note: str,
                accept_conflicts: bool, detail: dict[str, Any]) -> web.Response:
    if len(note) > MAX_NOTE:
        raise refuse(422, "invalid", f"'note' is longer than {MAX_NOTE} characters",
                      f"说明超过 {MAX_NOTE} 字。")
    problems = await asyncio.to_thread(check, intents, known_pairs(_current(request)))
    blocking = [p for p in problems if p.error or not accept_conflicts]
    if blocking:
        raise _problems_error(blocking)
    hub, staff = request.app[HUB_KEY], staff_of(request)
    try:
        version = await nlu_versions(hub).save(
            intents.to_yaml(), intents=len(intents.intents), examples=intents.example_count,
            author=staff.username, note=note, base_version=base, actor=staff.actor,
            audit_detail={**detail, "conflicts": len(problems)})
    except StaleBase as err:
        raise refuse(409, "stale_base", f"version {err.live} was saved after version "
                      f"{err.base}, which this edit started from: reload and edit again",
                      f"在您编辑期间已有人保存了版本 {err.live}，请重新载入后再改。",
                      live_version=err.live) from err
    await refresh(hub)  # this process retrains now; the others within a poll
    state = live_state(hub)
    return web.json_response({"version": version, "served_version": state.version,
                              "train_seconds": round(state.train_seconds, 3),
                              "intents": len(intents.intents),
                              "examples": intents.example_count,
                              "rasa": _rasa(request)}, status=201)


@staff_route(*EDITORS)
@handled
async def save_version(request: web.Request) -> web.Response:
    body = await typed_body(request, {"intents": (list,), "base_version": (int, type(None)),
                                 "note": (str,), "accept_conflicts": (bool,)},
                       {"intents", "base_version"})
    current = _current(request)
    intents = _intents(body["intents"], current.extras)
    added = sorted(set(intents.intents) - set(current.intents))
    removed = sorted(set(current.intents) - set(intents.intents))
    return await _save(request, intents, base=body["base_version"],
                       note=(body.get("note") or "").strip(),
                       accept_conflicts=bool(body.get("accept_conflicts")),
                       detail={"added_intents": added[:20], "removed_intents": removed[:20]})


@staff_route(*EDITORS)
@handled
async def add_example(request: web.Request) -> web.Response:
    body = await typed_body(request, {"intent": (str,), "text": (str,),
                                 "base_version": (int, type(None)), "note": (str,),
                                 "accept_conflicts": (bool,)},
                       {"intent", "text", "base_version"})
    current = _current(request)
    name, text = body["intent"].strip(), body["text"].strip()
    if name not in current.intents:
        raise refuse(422, "unknown_intent", f"no intent named {name[:80]!r}",
                      f"没有名为 {name[:80]!r} 的意图。")
    intents = IntentSet({k: list(v) for k, v in current.intents.items()}, current.extras)
    intents.intents[name].append(text)
    return await _save(request, intents, base=body["base_version"],
                       note=(body.get("note") or f"example added to {name}").strip(),
                       accept_conflicts=bool(body.get("accept_conflicts")),
                       detail={"intent": name})


@staff_route(*READERS)
@handled
async def parse(request: web.Request) -> web.Response:
    body = await typed_body(request, {"text": (str,)}, {"text"})
    if len(body["text"]) > MAX_EXAMPLE * 10:
        raise refuse(422, "invalid", "'text' is too long", "文本太长。")
    hub = request.app[HUB_KEY]
    result = builtin_of(hub).parse_sync(body["text"]).to_dict()
    return web.json_response({**result, "version": live_state(hub).version})


async def _report(request: web.Request) -> CrossValidation:
    hub = request.app[HUB_KEY]
    await refresh(hub)
    state = live_state(hub)
    if state.report is None:
        intents = _current(request)
        report = await asyncio.to_thread(cross_validate, intents.training_data(), FOLDS)
        if state.intents is intents:  # not swapped meanwhile
            state.report = report
        return report
    return state.report


@staff_route(*READERS)
@handled
async def report_json(request: web.Request) -> web.Response:
    report = await _report(request)
    return web.json_response({"version": live_state(request.app[HUB_KEY]).version,
                              **report.to_dict()})


@staff_route(*READERS)
@handled
async def report_svg(request: web.Request) -> web.Response:
    report = await _report(request)
    version = live_state(request.app[HUB_KEY]).version
    return web.Response(text=confusion_svg(report, title=f"NLU version {version}"),
                        content_type="image/svg+xml", headers={"Cache-Control": "no-store"})


__all__ = ["OPENAPI_PATHS", "setup"]

_BASE = "/api/v1/admin/nlu"


def setup(app: web.Application) -> None:
    app.router.add_get(_BASE, show)
    app.router.add_post(_BASE + "/check", check_intents)
    app.router.add_post(_BASE + "/versions", save_version)
    app.router.add_post(_BASE + "/examples", add_example)
    app.router.add_post(_BASE + "/parse", parse)
    app.router.add_get(_BASE + "/report", report_json)
    app.router.add_get(_BASE + "/report.svg", report_svg)
