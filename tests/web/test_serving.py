"""bot/web/serving.py: a busy uvloop server accepts a burst of new connections at once.

libuv accepts one connection per poll of the loop, so on a loop that is always busy the
n-th connection of a burst waits n polls. The test counts polls (a callback that
re-schedules itself runs once per pass of the loop), not seconds: every connection of
a burst must be answered within a few passes of the loop.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable

import pytest
import uvloop
from aiohttp import web
from gunicorn import glogging
from gunicorn.config import Config
from gunicorn.sock import create_sockets

from bot.cli.workers import EagerAcceptWorker
from bot.web.serving import EagerAcceptSite, listening_sockets, run

BURST = 40  #: connections opened at once while the loop is busy
BUSY_SECONDS = 0.005  #: each pass of the loop is kept busy this long (a loaded server)


def _open_burst(port: int, replies: list[bytes]) -> None:
    """Open BURST connections (the kernel completes them before the server accepts),
    send one request on each, then read every reply."""
    conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(BURST)]
    try:
        for conn in conns:
            conn.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        for conn in conns:
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
            replies.append(b"".join(chunks))
    finally:
        for conn in conns:
            conn.close()


Stop = Callable[[], Awaitable[None]]


async def _site(app: web.Application) -> tuple[int, Stop]:
    """``app`` served as ``tongguan serve`` does: its port, and how to stop it."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    (sock,) = listening_sockets("127.0.0.1", 0, 128)
    await EagerAcceptSite(runner, sock, backlog=128).start()
    return sock.getsockname()[1], runner.cleanup


async def _gunicorn_worker(app: web.Application) -> tuple[int, Stop]:
    """``app`` served by a ``serve --workers`` worker (gunicorn's own config, logger and
    listening socket; the worker's loop in this process)."""
    cfg = Config()
    cfg.set("bind", "127.0.0.1:0")
    log = glogging.Logger(cfg)
    (listener,) = create_sockets(cfg, log)
    worker = EagerAcceptWorker(0, os.getppid(), [listener], app, 30, cfg, log)
    worker.wsgi, worker.loop = app, asyncio.get_running_loop()
    task = asyncio.ensure_future(worker._run())
    while not worker.booted:
        await asyncio.sleep(0.01)

    async def stop() -> None:
        worker.alive = False
        worker._notify_waiter_done()
        await task
        worker.tmp.close()
        listener.close()

    return listener.getsockname()[1], stop


async def _burst_passes(serve: Callable[[web.Application], Awaitable[tuple[int, Stop]]],
                        ) -> tuple[int, list[bytes]]:
    """The passes of the loop between the burst's arrival and its last answer."""
    loop = asyncio.get_running_loop()
    passes = 0
    answered_at: list[int] = []

    async def hello(_request: web.Request) -> web.Response:
        answered_at.append(passes)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", hello)
    port, cleanup = await serve(app)
    stop = False

    def busy_pass() -> None:  # once per pass of the loop: a loaded server's callbacks
        nonlocal passes
        passes += 1
        time.sleep(BUSY_SECONDS)
        if not stop:
            loop.call_soon(busy_pass)

    replies: list[bytes] = []
    try:
        client = threading.Thread(target=_open_burst, args=(port, replies))
        loop.call_soon(busy_pass)
        start = passes
        client.start()
        while client.is_alive():
            await asyncio.sleep(0)
        client.join()
    finally:
        stop = True
        await cleanup()
    first = min(answered_at)
    return max(answered_at) - max(first, start), replies


@pytest.mark.parametrize("serve", [_site, _gunicorn_worker], ids=["serve", "workers"])
def test_a_burst_of_connections_is_accepted_at_once_on_a_busy_loop(serve):
    loop = uvloop.new_event_loop()
    try:
        spread, replies = loop.run_until_complete(_burst_passes(serve))
    finally:
        loop.close()
    assert len(replies) == BURST and all(b" 200 " in r.split(b"\r\n")[0] for r in replies)
    # one connection per pass (libuv's own accept) would spread the answers over
    # BURST passes; accepting all pending connections answers them within a few
    assert spread <= 5, f"the burst's answers spread over {spread} passes of the loop"


def test_run_serves_until_a_signal():
    """run(): serves on its own listener, announces, and stops cleanly on SIGINT."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async def hello(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", hello)
    got: list[str] = []

    def announce() -> None:
        def fetch() -> None:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as resp:
                got.append(resp.read().decode())
            os.kill(os.getpid(), signal.SIGINT)

        threading.Thread(target=fetch).start()

    run(app, host="127.0.0.1", port=port, loop=uvloop.new_event_loop(), backlog=16,
        shutdown_timeout=1, announce=announce)
    assert got == ["ok"]
    with socket.socket() as again:  # the listening socket is closed
        assert again.connect_ex(("127.0.0.1", port)) != 0
