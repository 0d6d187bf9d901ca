"""The one JSON body reader of every route, and headers read defensively.

A body is read under the app's size cap (413), parsed by orjson (invalid UTF-8, lone
surrogates, numbers out of range and NaN are refused: 400) and must be an object nested
at most :data:`MAX_DEPTH` deep (400). Integers beyond 64 bits arrive as floats, so no
4,300-digit integer ever reaches ``int()``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot import jsonfast
from bot.web.middlewares import json_error

MAX_DEPTH = 32  #: objects and arrays inside each other


def _bad(message: str, zh: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json_error(400, "invalid_json", message,
                                              message_zh=zh).text,
                              content_type="application/json")


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` nests objects or arrays more than ``limit`` deep (no recursion)."""
    level: list[Any] = [value]
    for _ in range(limit + 1):
        level = [child for item in level
                 for child in (item.values() if isinstance(item, dict) else
                               item if isinstance(item, list) else ())
                 if isinstance(child, dict | list)]
        if not level:
            return False
    return True


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The JSON object body, or a 4xx JSON error raised (400 ``invalid_json``, 413)."""
    raw = await request.read()  # HTTPRequestEntityTooLarge past client_max_size
    try:
        body = jsonfast.loads(raw) if raw else None
    except jsonfast.JSONDecodeError:  # also invalid UTF-8, lone surrogates, depth > 1024
        raise _bad("the body is not valid JSON", "请求内容不是有效的 JSON。") from None
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object", "请求内容须为 JSON 对象。")
    if too_deep(body):
        raise _bad(f"the body nests deeper than {MAX_DEPTH} levels",
                   f"请求内容嵌套超过 {MAX_DEPTH} 层。")
    return body
