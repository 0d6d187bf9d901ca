"""OpenAPI description of the flow studio routes (re-exported by ``bot.web.flows_api``)."""

from __future__ import annotations

from typing import Any

_ERR = {"description": "{error, message, message_zh}", "content": {"application/json": {
    "schema": {"type": "object", "required": ["error", "message"], "properties": {
        "error": {"type": "string"}, "message": {"type": "string"},
        "message_zh": {"type": "string"}}}}}}
_PROBLEM = {"type": "object", "required": ["line", "column", "message"], "properties": {
    "line": {"type": "integer", "minimum": 1}, "column": {"type": "integer", "minimum": 1},
    "message": {"type": "string"}, "rule": {"type": "string"}}}
_INVALID = {"description": "the flow has problems (each with line and column), or a bad "
            "field; the live version is unchanged", "content": {"application/json": {
                "schema": {"type": "object", "required": ["error", "message"], "properties": {
                    "error": {"type": "string"}, "message": {"type": "string"},
                    "message_zh": {"type": "string"},
                    "problems": {"type": "array", "items": _PROBLEM}}}}}}
_NAME = [{"name": "name", "in": "path", "required": True, "schema": {
    "type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]{0,59}$"}}]
_YAML = {"type": "string", "description": "the flow's YAML (at most flows_max_bytes bytes)"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "additionalProperties": False, "required": required,
        "properties": properties}}}}


def _op(summary: str, roles: str, ok: dict[str, Any], *errors: str,
        **extra: Any) -> dict[str, Any]:
    responses = {**ok, "401": _ERR, "403": _ERR}
    for code in errors:
        responses[code] = _INVALID if code == "422" else _ERR
    return {"summary": f"{summary} Staff route (roles: {roles}); a resident's token gets "
            "401.", "responses": responses, **extra}


_HISTORY = {"type": "array", "items": {"type": "object", "properties": {
    "version": {"type": "integer"}, "author": {"type": "string"}, "note": {"type": "string"},
    "published_at": {"type": "string"}, "rollback_of": {"type": ["integer", "null"]}}}}
_VERSION_Q = {"type": "integer", "minimum": 1}
R, W = "admin, auditor", "admin"

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/admin/flows": {"get": _op(
        "The live version of every flow (and the menu).", R, {"200": _json({
            "type": "object", "required": ["items"], "properties": {"items": {
                "type": "array", "items": {"type": "object", "properties": {
                    "name": {"type": "string"}, "version": {"type": "integer"},
                    "kind": {"enum": ["flow", "menu", "other"]},
                    "live": {"type": "boolean"}}}}}})})},
    "/api/v1/admin/flows/{name}": {"get": _op(
        "A flow's live YAML and its history, newest first.", R, {"200": _json({
            "type": "object", "required": ["name", "version", "yaml", "history"],
            "properties": {"name": {"type": "string"}, "version": {"type": "integer"},
                           "yaml": {"type": "string"}, "history": _HISTORY}})}, "404",
        parameters=_NAME)},
    "/api/v1/admin/flows/{name}/validate": {"post": _op(
        "Check a draft against today's actions, slot types and flows: YAML errors, unknown "
        "actions and steps, a flow calling itself, the size cap. Changes nothing.", W,
        {"200": _json({"type": "object", "required": ["ok", "problems"], "properties": {
            "ok": {"type": "boolean"}, "problems": {"type": "array", "items": _PROBLEM}}})},
        "422", parameters=_NAME, requestBody=_body({"yaml": _YAML}, ["yaml"]))},
    "/api/v1/admin/flows/{name}/preview": {"post": _op(
        "One turn of a draft as a resident would have it; without preview_id the draft "
        "starts at its first step (text ignored). Actions are dry-run: nothing saved, no "
        "code issued, no stock held.", W, {"200": _json({
            "type": "object", "required": ["preview_id", "replies"], "properties": {
                "preview_id": {"type": "string"}, "replies": {"type": "array"}}})},
        "422", parameters=_NAME, requestBody=_body({
            "yaml": _YAML, "text": {"type": "string", "maxLength": 2000},
            "preview_id": {"type": ["string", "null"]}}, ["yaml"]))},
    "/api/v1/admin/flows/{name}/publish": {"post": _op(
        "Publish a draft as the next version (every server process serves it within about "
        "flows_poll_seconds); audited. base_version: the version the draft was edited "
        "from (null for a new flow).", W, {"201": _json({
            "type": "object", "required": ["version"], "properties": {
                "version": {"type": "integer"}}}, "published")}, "409", "422",
        parameters=_NAME, requestBody=_body({
            "yaml": _YAML, "note": {"type": "string", "maxLength": 500},
            "base_version": {"type": ["integer", "null"], "minimum": 1}},
            ["yaml", "base_version"]))},
    "/api/v1/admin/flows/{name}/rollback": {"post": _op(
        "Publish a copy of an earlier version as the next version (audited); refused when "
        "it no longer passes today's checks.", W, {"201": _json({
            "type": "object", "required": ["version", "rollback_of"], "properties": {
                "version": {"type": "integer"}, "rollback_of": {"type": "integer"}}},
            "rolled back")}, "404", "409", "422", parameters=_NAME,
        requestBody=_body({"version": {"type": "integer", "minimum": 1}}, ["version"]))},
    "/api/v1/admin/flows/{name}/diff": {"get": _op(
        "Unified diff between two versions (default: the live one and the one before).", R,
        {"200": _json({"type": "object", "required": ["diff"], "properties": {
            "from": {"type": "integer"}, "to": {"type": "integer"},
            "diff": {"type": "string"}}})}, "404", "422",
        parameters=[*_NAME, {"name": "from", "in": "query", "schema": _VERSION_Q},
                    {"name": "to", "in": "query", "schema": _VERSION_Q}])},
    "/api/v1/admin/flows/{name}/diagram.svg": {
        "get": _op("The diagram of a published version (default the live one): steps, "
                   "branches, calls and links, drawn as SVG.", R, {"200": {
                       "description": "SVG", "content": {"image/svg+xml": {}}}},
                   "404", "422", parameters=[
                       *_NAME, {"name": "version", "in": "query", "schema": _VERSION_Q},
                       {"name": "lang", "in": "query", "schema": {"enum": ["zh", "en"]}}]),
        "post": _op("The diagram of a draft, as far as it parses (the editor's live "
                    "diagram).", W, {"200": {"description": "SVG", "content": {
                        "image/svg+xml": {}}}}, "422", parameters=[
                        *_NAME, {"name": "lang", "in": "query", "schema": {
                            "enum": ["zh", "en"]}}],
                    requestBody=_body({"yaml": _YAML}, ["yaml"]))},
}
