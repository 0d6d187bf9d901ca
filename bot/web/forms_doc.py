"""OpenAPI description of the studio's form routes (re-exported by ``bot.web.forms_api``)."""

from __future__ import annotations

from typing import Any

from bot.dialogue.flows.template import AUDIENCES, QUESTION_TYPES
from bot.web.flows_api_doc import _ERR, _NAME, _json

_TEXT = {"type": "object", "required": ["zh", "en"], "properties": {
    "zh": {"type": "string", "minLength": 1, "maxLength": 60},
    "en": {"type": "string", "minLength": 1, "maxLength": 60}}}
_FILE = {"200": {"description": "the file (an attachment)"}, "401": _ERR, "403": _ERR}
_STAFF = " Staff route (roles: {}); a resident's token gets 401."

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/admin/flow-templates/form": {"get": {
        "summary": "What the form template offers: question types (and the slot types "
                   "they become), audiences, districts." + _STAFF.format("admin"),
        "responses": {"200": _json({"type": "object", "properties": {
            "question_types": {"type": "object"}, "audiences": {"type": "array"},
            "districts": {"type": "array"}}}), "401": _ERR, "403": _ERR}}, "post": {
        "summary": "A new form's flow YAML from the template: typed questions, audience, "
                   "confirmation and records.save (nothing is published)."
                   + _STAFF.format("admin"),
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["name", "title", "questions"], "properties": {
                "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"},
                "title": _TEXT,
                "audience": {"enum": list(AUDIENCES)},
                "district": {"type": "string"},
                "confirm": {"type": "boolean"},
                "keywords": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "questions": {"type": "array", "minItems": 1, "maxItems": 40, "items": {
                    "type": "object", "required": ["type", "label"], "properties": {
                        "type": {"enum": list(QUESTION_TYPES)},
                        "id": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"},
                        "label": _TEXT, "prompt": _TEXT, "optional": {"type": "boolean"},
                        "options": {"type": "array", "items": _TEXT}}}}}}}}},
        "responses": {"200": _json({"type": "object", "required": ["name", "yaml"],
                                    "properties": {"name": {"type": "string"},
                                                   "yaml": {"type": "string"}}}),
                      "401": _ERR, "403": _ERR, "422": _ERR}}},
    "/api/v1/admin/flows/{name}/submissions": {"get": {
        "summary": "How many submissions the form has (and the share link)."
                   + _STAFF.format("admin, auditor"), "parameters": _NAME,
        "responses": {"200": _json({"type": "object", "required": ["count"], "properties": {
            "name": {"type": "string"}, "count": {"type": "integer"},
            "latest_at": {"type": ["string", "null"]}, "share_url": {"type": "string"}}}),
            "401": _ERR, "403": _ERR}}},
    "/api/v1/admin/flows/{name}/submissions.csv": {"get": {
        "summary": "Every submission as CSV; identity answers in clear for admins only, "
                   "masked for auditors; audited." + _STAFF.format("admin, auditor"),
        "parameters": _NAME, "responses": _FILE}},
    "/api/v1/admin/flows/{name}/submissions.xlsx": {"get": {
        "summary": "Every submission as an Excel workbook; as the CSV."
                   + _STAFF.format("admin, auditor"), "parameters": _NAME,
        "responses": _FILE}},
    "/api/v1/admin/flows/{name}/poster.png": {"get": {
        "summary": "The share link /f/{name} as a QR code for a poster."
                   + _STAFF.format("admin, auditor"), "parameters": _NAME,
        "responses": {"200": {"description": "PNG", "content": {"image/png": {}}},
                      "401": _ERR, "403": _ERR}}},
}
