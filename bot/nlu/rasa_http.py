"""An interpreter backed by a Rasa server (``rasa run --enable-api``), with a fallback."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

from bot.nlu.base import Interpreter, ParseResult

log = logging.getLogger("tongguan.nlu")


class RasaUnavailable(Exception):
    """The Rasa server could not answer (connection, timeout, status, bad JSON)."""


class RasaHttpInterpreter(Interpreter):
    """POSTs ``{"text": ...}`` to ``{url}/model/parse`` and maps Rasa's answer.

    When the server cannot answer, the ``fallback`` interpreter (the builtin) parses
    instead; ``nlu.rasa.unavailable`` is logged once per outage and
    ``nlu.rasa.recovered`` when the server answers again.
    """

    def __init__(self, url: str, fallback: Interpreter, *, timeout: float = 2.0,
                 token: str | None = None, session: aiohttp.ClientSession | None = None
                 ) -> None:
        self.url = url.rstrip("/") + "/model/parse"
        self.fallback = fallback
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.params = {"token": token} if token else None
        self._session = session
        self._own_session = session is None
        #: True while the server is known to be down (between unavailable and recovered).
        self.unavailable = False

    async def _post(self, text: str) -> dict[str, Any]:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._own_session = True
        try:
            async with self._session.post(self.url, json={"text": text}, params=self.params,
                                          timeout=self.timeout) as resp:
                if resp.status != 200:
                    raise RasaUnavailable(f"HTTP {resp.status}")
                data = await resp.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as err:
            raise RasaUnavailable(f"{type(err).__name__}: {err}") from err
        if not isinstance(data, dict) or not isinstance(data.get("intent"), dict | None):
            raise RasaUnavailable("answer is not Rasa's parse shape")
        return data

    async def parse(self, text: str) -> ParseResult:
        """Rasa's parse of ``text``, or the fallback's when Rasa cannot answer."""
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        try:
            data = await self._post(text)
            result = ParseResult.from_dict(data)
        except (RasaUnavailable, KeyError, TypeError, ValueError) as err:
            if not self.unavailable:
                self.unavailable = True
                log.warning("nlu.rasa.unavailable", extra={"url": self.url, "error": str(err)})
            return await self.fallback.parse(text)
        if self.unavailable:
            self.unavailable = False
            log.info("nlu.rasa.recovered", extra={"url": self.url})
        return result

    async def close(self) -> None:
        """Close the HTTP session (if this interpreter opened it) and the fallback."""
        if self._session is not None and self._own_session and not self._session.closed:
            await self._session.close()
        self._session = None
        await self.fallback.close()


__all__ = ["RasaHttpInterpreter", "RasaUnavailable"]
