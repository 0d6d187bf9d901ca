"""OpenAPI description of the NLU editor routes (re-exported by ``bot.web.nlu_api``)."""

from __future__ import annotations

from typing import Any

from bot.web.flows_api_doc import _body, _json, _op

_PROBLEM = {"type": "object", "required": ["kind", "severity", "message"], "properties": {
    "kind": {"type": "string"}, "severity": {"enum": ["error", "warning"]},
    "message": {"type": "string"}, "message_zh": {"type": "string"},
    "intent": {"type": "string"}, "example": {"type": "string"},
    "other_intent": {"type": "string"}, "other_example": {"type": "string"},
    "similarity": {"type": "number"}}}
_INTENTS = {"type": "array", "maxItems": 100, "items": {
    "type": "object", "additionalProperties": False, "required": ["name", "examples"],
    "properties": {"name": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"},
                   "examples": {"type": "array", "items": {
                       "type": "string", "minLength": 1, "maxLength": 300}}}}}
_BASE = {"type": ["integer", "null"], "minimum": 1,
         "description": "the version the edit started from"}
_SAVED = {"201": _json({"type": "object", "required": ["version"], "properties": {
    "version": {"type": "integer"}, "served_version": {"type": "integer"},
    "train_seconds": {"type": "number"}, "intents": {"type": "integer"},
    "examples": {"type": "integer"}, "rasa": {"type": "object"}}}, "saved and retrained")}
R, W = "admin, auditor", "admin"

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/admin/nlu": {"get": _op(
        "The live intent set (intents with their examples), the version this process "
        "serves, the backend (and Rasa's training command) and the history.", R,
        {"200": _json({"type": "object", "required": ["version", "intents", "history"],
                       "properties": {"version": {"type": ["integer", "null"]},
                                      "served_version": {"type": "integer"},
                                      "backend": {"enum": ["builtin", "rasa"]},
                                      "intents": {"type": "array"},
                                      "history": {"type": "array"}}})})},
    "/api/v1/admin/nlu/check": {"post": _op(
        "Check an edited intent set: errors (bad names, empty or over-long examples, "
        "duplicates) and conflicts (near-same examples under two intents). Changes "
        "nothing.", W, {"200": _json({"type": "object", "required": ["ok", "problems"],
                                      "properties": {"ok": {"type": "boolean"},
                                                     "problems": {"type": "array",
                                                                  "items": _PROBLEM}}})},
        "422", requestBody=_body({"intents": _INTENTS}, ["intents"]))},
    "/api/v1/admin/nlu/versions": {"post": _op(
        "Save the intent set as the next version; this process retrains the builtin at "
        "once and every other within flows_poll_seconds. Refused (422, nothing saved) on "
        "any error, and on conflicts unless accept_conflicts; 409 when another version was "
        "saved since base_version. Audited.", W, _SAVED, "409", "422",
        requestBody=_body({"intents": _INTENTS, "base_version": _BASE,
                           "note": {"type": "string", "maxLength": 500},
                           "accept_conflicts": {"type": "boolean"}},
                          ["intents", "base_version"]))},
    "/api/v1/admin/nlu/examples": {"post": _op(
        "Add one example to an existing intent (a new version, same checks; 422 for an "
        "unknown intent). Audited.", W, _SAVED, "409", "422",
        requestBody=_body({"intent": {"type": "string"},
                           "text": {"type": "string", "minLength": 1, "maxLength": 300},
                           "base_version": _BASE,
                           "note": {"type": "string", "maxLength": 500},
                           "accept_conflicts": {"type": "boolean"}},
                          ["intent", "text", "base_version"]))},
    "/api/v1/admin/nlu/parse": {"post": _op(
        "Parse a text with the model this process serves (Rasa's parse shape and the "
        "version).", R, {"200": _json({"type": "object", "required": ["intent"]})}, "422",
        requestBody=_body({"text": {"type": "string", "maxLength": 3000}}, ["text"]))},
    "/api/v1/admin/nlu/report": {"get": _op(
        "5-fold cross-validation of the builtin on the live version: accuracy, per intent "
        "precision, recall, F1 and support, the confusion matrix (rows: true intent).", R,
        {"200": _json({"type": "object", "required": ["accuracy", "labels", "matrix",
                                                      "intents"]})})},
    "/api/v1/admin/nlu/report.svg": {"get": _op(
        "The cross-validation confusion matrix drawn as SVG.", R,
        {"200": {"description": "SVG", "content": {"image/svg+xml": {}}}})},
}
