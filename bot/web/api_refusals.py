"""Refusing a staff API request from deep inside its handler: raise :class:`Refused`
(made by :func:`refuse`), and the :func:`handled` route answers with its JSON error.
:func:`typed_body` reads a JSON object whose fields have the given types (422 otherwise).
Shared by the flow studio's and the NLU studio's APIs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.web.json_body import read_json_object
from bot.web.middlewares import json_error

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Refused(Exception):
    """A request refused with ``response`` (a JSON error)."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def refuse(status: int, code: str, en: str, zh: str, **extra: Any) -> Refused:
    """A :class:`Refused` answering ``{"error": code, "message": en, "message_zh": zh}``
    (+ ``extra``) with ``status``."""
    return Refused(json_error(status, code, en, message_zh=zh, **extra))


def handled(handler: Handler) -> Handler:
    """``handler``, answering a :class:`Refused` it raises with that refusal."""
    async def run(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except Refused as err:
            return err.response
    run.__name__ = handler.__name__
    run.__doc__ = handler.__doc__
    return run


async def typed_body(request: web.Request, fields: dict[str, tuple[type, ...]],
                     required: set[str]) -> dict[str, Any]:
    """The JSON object body: only ``fields``, each of one of its types (``bool`` only
    where named), and every ``required`` one; else a 422 ``invalid`` :class:`Refused`."""
    body = await read_json_object(request)
    unknown = set(body) - set(fields)
    if unknown:
        raise refuse(422, "invalid", f"unknown fields: {', '.join(sorted(unknown))[:200]}",
                     f"不认识的字段：{', '.join(sorted(unknown))[:200]}")
    for key in sorted(required - set(body)):
        raise refuse(422, "invalid", f"'{key}' is required", f"缺少 {key}。")
    for key, kinds in fields.items():
        value = body.get(key)
        if key in body and not (isinstance(value, kinds) and not (
                isinstance(value, bool) and bool not in kinds)):
            names = " or ".join("null" if k is type(None) else k.__name__ for k in kinds)
            raise refuse(422, "invalid", f"'{key}' must be {names}", f"{key} 的类型不对。")
    return body
