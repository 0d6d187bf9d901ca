"""OpenAPI description of the reservation routes (re-exported by ``bot.web.reservations``)."""

from __future__ import annotations

from typing import Any

_ERR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_CODE_BODY = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["code"], "properties": {"code": {"type": "string"}}}}}}
_STAFF: dict[str, Any] = {"security": [{"storeCookie": []}]}


def _op(summary: str, ok: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "responses": {**ok, "401": _ERR, "404": _ERR, "409": _ERR,
                                              "422": _ERR, "429": _ERR}, **extra}


OPENAPI_SCHEMAS: dict[str, Any] = {
    "ReservationRequest": {"type": "object", "additionalProperties": False,
                           "required": ["product", "store", "quantity", "name", "id_number"],
                           "properties": {"product": {"type": "string"},
                                          "store": {"type": "string"},
                                          "quantity": {"type": "integer", "minimum": 1},
                                          "name": {"type": "string"},
                                          "id_number": {"type": "string"},
                                          "for": {
                                              "type": "string", "enum": ["self", "other"],
                                              "default": "self",
                                              "description": (
                                                  "self: the session's own ID number "
                                                  "(bound to the session on first use; "
                                                  "bound elsewhere → 409 bound_elsewhere); "
                                                  "other: a family member, recorded as a "
                                                  "dependant (at most "
                                                  "declarations.max_dependants, shared "
                                                  "with health declarations; never a "
                                                  "person bound to their own account)")}}},
    "Reservation": {"type": "object", "properties": {
        "reservation_id": {"type": "string"}, "pickup_code": {"type": "string"},
        "store": {"type": "string"}, "product": {"type": "string"},
        "quantity": {"type": "integer"},
        "window": {"type": "object", "properties": {"start": {"type": "string"},
                                                     "end": {"type": "string"}}}}},
    "Ticket": {"type": "object", "properties": {
        "reservation_id": {"type": "string"}, "product": {"type": "string"},
        "quantity": {"type": "integer"}, "name": {"type": "string"},
        "status": {"type": "string"}, "window_end": {"type": "string"},
        "closed_at": {"type": ["string", "null"]}}},
}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/stock": {"get": {
        "summary": "Open stock feed: today's released/remaining per store and product "
                   "(?format=csv; ETag; max-age 3 s)", "security": [],
        "parameters": [{"name": "format", "in": "query",
                        "schema": {"type": "string", "enum": ["json", "csv"]}}],
        "responses": {"200": {"description": "stock"}, "304": {"description": "unchanged"}}}},
    "/api/v1/reservations": {"post": _op(
        "Reserve (first come) or register for the draw (lottery) for oneself or a family "
        "member; Idempotency-Key supported. 409 errors: sold_out, limit_reached, "
        "household_limit (with next_possible), not_rotation_day, not_open, "
        "already_registered, bound_elsewhere, other_self, proxy_bound, proxy_self, "
        "too_many_dependants",
        {"201": {"description": "reserved", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Reservation"}}}},
         "202": {"description": "registered for the lottery"}},
        parameters=[{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}],
        requestBody={"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/ReservationRequest"}}}})},
    "/api/v1/store/login": {"post": _op(
        "Staff login (a store_staff account); sets the store session cookie",
        {"200": {"description": "logged in"}, "400": {"description": "not a JSON object"}},
        security=[], requestBody={"required": True, "content": {"application/json": {
            "schema": {"type": "object", "required": ["username", "password"],
                       "properties": {"username": {"type": "string"},
                                      "password": {"type": "string"}}}}}})},
    "/api/v1/store/me": {"get": _op("The logged-in staff member",
                                    {"200": {"description": "staff"}}, **_STAFF)},
    "/api/v1/store/today": {"get": _op("Today's reservations and counts at the staff's store",
                                       {"200": {"description": "list"}}, **_STAFF)},
    "/api/v1/store/{op}": {"post": _op(
        "op = lookup | redeem: a pickup code at the staff's store (redeem is single use)",
        {"200": {"description": "ticket", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Ticket"}}}}},
        requestBody=_CODE_BODY, **_STAFF,
        parameters=[{"name": "op", "in": "path", "required": True,
                     "schema": {"type": "string", "enum": ["lookup", "redeem"]}}])},
}
