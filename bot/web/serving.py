"""Serving the app: ``web.run_app``, except that new connections are accepted all at once.

uvloop listens through libuv, and libuv accepts **one** connection each time the event
loop polls (libuv 1.45, PR #3696 "don't accept() connections in a loop": the next
pending connection waits for the next poll). An idle loop polls often, so nobody
notices; a saturated one polls once per round of ready callbacks — tens of milliseconds
with hundreds of requests in flight — and a burst of new connections drains from the
kernel's accept queue at a few dozen a second. A request sent on a connection the kernel
has completed but the server has not yet accepted waits in that queue, so it counts as
latency: with 1,000 connections opened on a busy server the last ones were accepted
after 5–10 s, with 200 after 1–2 s (issue 18, docs/benchmarks.md).

:class:`EagerAcceptSite` listens on a socket of its own, watched with ``add_reader``, and
accepts every pending connection (up to the backlog) each time it is readable, as the
standard library's selector loop does; each accepted socket goes to the loop with
``connect_accepted_socket``, so the connections themselves are still uvloop transports.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

#: errors of accept() that mean "out of a resource": stop accepting for a moment
#: (as asyncio's selector loop does) instead of spinning on a readable socket
_RESOURCE_ERRORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
ACCEPT_RETRY_SECONDS = 1.0


def listening_sockets(host: str | None, port: int, backlog: int) -> list[socket.socket]:
    """Bound, listening, non-blocking sockets for ``host``:``port`` — one per address
    the name resolves to (all interfaces for None), as ``loop.create_server`` binds."""
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                               flags=socket.AI_PASSIVE)
    socks: list[socket.socket] = []
    try:
        for family, kind, proto, _name, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            socks.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(backlog)
            sock.setblocking(False)
    except OSError:
        for sock in socks:
            sock.close()
        raise
    return socks


class _Listener(asyncio.AbstractServer):
    """Accepts every pending connection of ``sock`` each time it is readable."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket,
                 factory: Callable[[], asyncio.Protocol], batch: int) -> None:
        self._loop = loop
        self._sock = sock
        self._factory = factory
        self._batch = batch
        self._opening: set[asyncio.Task[Any]] = set()
        self._serving = True
        loop.add_reader(sock.fileno(), self._accept)

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return (self._sock,) if self._serving else ()

    def _accept(self) -> None:
        for _ in range(self._batch):
            try:
                conn, _address = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as err:
                if err.errno not in _RESOURCE_ERRORS:
                    raise
                log.warning("web.accept.paused: %s", err)
                self._loop.remove_reader(self._sock.fileno())
                self._loop.call_later(ACCEPT_RETRY_SECONDS, self._resume)
                return
            conn.setblocking(False)
            task = self._loop.create_task(self._open(conn))
            self._opening.add(task)
            task.add_done_callback(self._opening.discard)

    async def _open(self, conn: socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(self._factory, conn)
        except OSError as err:  # the peer went away before its transport was made
            log.debug("web.accept.failed: %s", err)
            conn.close()

    def _resume(self) -> None:
        if self._serving:
            self._loop.add_reader(self._sock.fileno(), self._accept)

    def close(self) -> None:
        if self._serving:
            self._serving = False
            self._loop.remove_reader(self._sock.fileno())
            self._sock.close()

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def is_serving(self) -> bool:
        return self._serving

    async def start_serving(self) -> None:
        """Serving starts when the listener is made."""

    async def serve_forever(self) -> None:
        raise NotImplementedError("the app runner keeps the process alive")

    async def wait_closed(self) -> None:
        """Closing is immediate: nothing to wait for."""


class EagerAcceptSite(web.BaseSite):
    """An aiohttp site on a listening socket that accepts all pending connections at
    once (see the module docstring)."""

    __slots__ = ("_sock", "_name")

    def __init__(self, runner: web.BaseRunner, sock: socket.socket, *,
                 backlog: int) -> None:
        super().__init__(runner, backlog=backlog)
        self._sock = sock
        host, port = sock.getsockname()[:2]
        self._name = f"http://{host}:{port}"

    @property
    def name(self) -> str:
        return self._name

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        if server is None:
            raise RuntimeError("EagerAcceptSite: the runner is not set up")
        self._server = _Listener(asyncio.get_running_loop(), self._sock, server,
                                 self._backlog)


def run(app: web.Application, *, host: str | None, port: int,
        loop: asyncio.AbstractEventLoop, backlog: int, shutdown_timeout: float,
        announce: Callable[[], None]) -> None:
    """Serve ``app`` on ``loop`` until SIGINT or SIGTERM, as ``web.run_app`` does (the
    same runner, signal handling and graceful shutdown), with :class:`EagerAcceptSite`
    listening; ``announce`` is called once it listens."""

    async def serve() -> None:
        runner = web.AppRunner(app, access_log=None, handle_signals=True,
                               shutdown_timeout=shutdown_timeout)
        await runner.setup()
        try:
            for sock in listening_sockets(host, port, backlog):
                await EagerAcceptSite(runner, sock, backlog=backlog).start()
            announce()
            await asyncio.Event().wait()  # until a signal raises GracefulExit
        finally:
            await runner.cleanup()

    asyncio.set_event_loop(loop)
    main = loop.create_task(serve())
    try:
        loop.run_until_complete(main)
    except (web.GracefulExit, KeyboardInterrupt):
        pass
    finally:
        try:
            if not main.done():
                main.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    loop.run_until_complete(main)
        finally:
            rest = asyncio.all_tasks(loop)
            for task in rest:
                task.cancel()
            if rest:
                loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            asyncio.set_event_loop(None)
