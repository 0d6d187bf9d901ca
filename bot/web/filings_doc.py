"""OpenAPI description of the filing routes (re-exported by ``bot.web.filings_api``)."""

from __future__ import annotations

from typing import Any

_ERR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_INVALID = {"description": "one error per bad field", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/FilingInvalid"}}}}
_FILING = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Filing"}}}}
_BODY = {"required": True, "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/FilingRequest"}}}}
_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_STAFF = "Staff route (roles: {}); a resident's token gets 401."


def _op(summary: str, ok: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "responses": {**ok, "401": _ERR, "403": _ERR, "404": _ERR,
                                              "409": _ERR, "422": _INVALID}, **extra}


_INT = {"type": "integer", "minimum": 0}
OPENAPI_SCHEMAS: dict[str, Any] = {
    "FilingRequest": {"type": "object", "additionalProperties": False, "required": [
        "firm_name", "uscc", "industry", "district", "street", "address", "contact_name",
        "contact_phone", "staff_total", "staff_returning", "staff_origins",
        "staff_risk_14d", "isolation_rooms", "prevention_lead", "supplies_days",
        "planned_start", "capacity_percent", "needs", "pledge"], "properties": {
        "firm_name": {"type": "string"},
        "uscc": {"type": "string", "description": "18 characters, GB 32100 check character"},
        "industry": {"enum": ["manufacturing", "retail", "catering", "construction",
                              "logistics", "services", "other"]},
        "district": {"enum": ["jiangan", "jianghan", "qiaokou", "hanyang", "wuchang",
                              "hongshan", "other"]},
        "street": {"type": "string"}, "address": {"type": "string"},
        "contact_name": {"type": "string", "description": "sealed at rest"},
        "contact_phone": {"type": "string", "description": "mainland mobile; sealed"},
        "staff_total": {"type": "integer", "minimum": 1}, "staff_returning": _INT,
        "staff_origins": {"type": "array", "items": {"type": "object", "properties": {
            "province": {"type": "string"}, "city": {"type": "string"},
            "count": {"type": "integer", "minimum": 1}}}},
        "staff_risk_14d": _INT, "isolation_rooms": _INT,
        "prevention_lead": {"type": "string", "description": "sealed at rest"},
        "supplies_days": {"type": "object", "properties": {
            "masks": _INT, "thermometers": _INT, "disinfectant": _INT}},
        "planned_start": {"type": "string", "format": "date",
                          "description": "not before today (Asia/Shanghai)"},
        "capacity_percent": {"type": "integer", "minimum": 1, "maximum": 100},
        "needs": {"type": "array", "items": {"enum": ["raw_materials", "logistics",
                                                      "financing", "hiring"]}},
        "pledge": {"const": True}}},
    "Filing": {"type": "object", "description": "The request's fields plus these.",
               "properties": {
                   "id": {"type": "integer"},
                   "state": {"enum": ["submitted", "approved", "rejected", "returned",
                                      "withdrawn"]},
                   "version": {"type": "integer", "description": (
                       "grows with every change; send it back with a decision (a "
                       "different current version → 409 stale)")},
                   "flags": {"type": "array", "items": {"type": "object"}},
                   "notice_no": {"type": ["string", "null"]},
                   "notice_url": {"type": "string", "description": (
                       "GET /api/v1/filings/mine only, once approved: the firm's "
                       "printable notice page (a secret link; give it only to the firm)")},
                   "reason": {"type": ["string", "null"]},
                   "history": {"type": "array", "items": {"type": "object"}}}},
    "FilingInvalid": {"type": "object", "properties": {
        "error": {"const": "invalid"}, "message": {"type": "string"},
        "message_zh": {"type": "string"}, "errors": {"type": "array", "items": {
            "type": "object", "properties": {"field": {"type": "string"},
                                             "error": {"type": "string"},
                                             "message": {"type": "string"},
                                             "message_zh": {"type": "string"}}}}}},
}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/filings": {
        "post": _op("File a business-resumption filing (resident session). A second open "
                    "filing for the USCC: 409 open_filing_exists with open_filing_id.",
                    {"201": {"description": "{id, state: submitted, uscc, version, flags}"}},
                    requestBody=_BODY),
        "get": _op("The reviewer queue, oldest first: ?state=&district=&industry=&flag="
                   "&q=&cursor=&limit= → {items, next_cursor}; scoped to the reviewer's "
                   "district. " + _STAFF.format("reviewer, admin, auditor"),
                   {"200": {"description": "{items, next_cursor}"}}),
    },
    "/api/v1/filings/mine": {"get": _op("The session's own filings with history.",
                                        {"200": {"description": "{items}"}})},
    "/api/v1/filings/{id}": {
        "get": _op("One filing with history and flags. " + _STAFF.format(
            "reviewer, admin, auditor"), {"200": _FILING}, parameters=_ID),
        "put": _op("Resubmit a returned filing (same body; the USCC cannot change).",
                   {"200": _FILING}, parameters=_ID, requestBody=_BODY),
    },
    "/api/v1/filings/{id}/withdraw": {"post": _op(
        "The firm withdraws its open filing.", {"200": _FILING}, parameters=_ID)},
    "/api/v1/filings/{id}/decision": {"post": _op(
        "Decide: {decision: approve|reject|return, reason, version?}; approve gives a "
        "notice number. 409 stale / not_submitted. " + _STAFF.format("reviewer, admin"),
        {"200": _FILING}, parameters=_ID, requestBody={"required": True, "content": {
            "application/json": {"schema": {"type": "object",
                                            "required": ["decision", "reason"],
                                            "properties": {
                                                "decision": {"enum": ["approve", "reject",
                                                                      "return"]},
                                                "reason": {"type": "string",
                                                           "pattern": r"\S",
                                                           "maxLength": 500},
                                                "version": {"type": "integer",
                                                            "minimum": 0,
                                                            "maximum": 2 ** 53}}}}}})},
}
