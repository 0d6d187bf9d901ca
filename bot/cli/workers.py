"""``tongguan serve --workers N``: N processes serving one port, under gunicorn.

Why gunicorn and not a pre-fork loop of our own: its arbiter is a long-kept,
widely run supervisor — it binds the socket once and forks the workers onto it, starts
a new worker when one dies, stops them gracefully on SIGTERM (``graceful_timeout``),
kills one that stops answering its heartbeat (``timeout``), and adds or removes workers
on TTIN/TTOU — and aiohttp ships and maintains the worker class for it
(``aiohttp.GunicornUVLoopWebWorker``: each worker runs our app on uvloop, as the single
process does). A home-made supervisor would have to get all of that right again.

The one change to aiohttp's worker (:class:`EagerAcceptWorker`): it listens through
:class:`bot.web.serving.EagerAcceptSite`, as ``tongguan serve`` does, not libuv's
one-connection-per-poll accept (see bot/web/serving.py). The workers share the
arbiter's socket; a worker busy with requests is not polling, so an idle one takes the
pending connections.

Each worker builds its own app (its own hub, database pools and job runner: the job
lease elects one runner among all workers of all servers). Migrations run once, in the
arbiter, before the fork. Metrics use prometheus-client's multiprocess mode
(docs/deployment.md): :func:`prepare_metrics_dir` runs before the fork.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.worker import GunicornUVLoopWebWorker
from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

from bot.config import Settings
from bot.web.serving import EagerAcceptSite


class EagerAcceptWorker(GunicornUVLoopWebWorker):  # type: ignore[misc,unused-ignore]
    """aiohttp's uvloop worker, listening through :class:`EagerAcceptSite`.

    ``_run`` is aiohttp's own (aiohttp/worker.py) for an :class:`web.Application`, with
    the site changed; aiohttp offers no hook for the site class, hence the copy. No TLS:
    a load balancer terminates it (docs/deployment.md)."""

    async def _run(self) -> None:
        runner = web.AppRunner(self.wsgi, logger=self.log, access_log=None,
                               keepalive_timeout=self.cfg.keepalive,
                               shutdown_timeout=self.cfg.graceful_timeout / 100 * 95)
        await runner.setup()
        server = runner.server
        assert server is not None
        for sock in self.sockets:
            await EagerAcceptSite(runner, sock.sock, backlog=self.cfg.backlog).start()
        self.booted = True  # the arbiter now tells a boot failure from a clean exit
        pid = os.getpid()
        while self.alive:
            self.notify()
            if server.requests_count > self.max_requests:
                self.alive = False
                self.log.info("Max requests, shutting down: %s", self)
            elif pid == os.getpid() and self.ppid != os.getppid():
                self.alive = False
                self.log.info("Parent changed, shutting down: %s", self)
            else:
                await self._wait_next_notify()
        await runner.cleanup()


WORKER_CLASS = EagerAcceptWorker
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_metrics_dir() -> Path:
    """An empty folder for the workers' metric files (``PROMETHEUS_MULTIPROC_DIR`` if set,
    else a fresh temporary one), named in the environment the workers inherit. Must run
    before anything imports prometheus_client."""
    given = os.environ.get(METRICS_DIR_ENV)
    path = Path(given) if given else Path(tempfile.mkdtemp(prefix="tongguan-metrics-"))
    if given and path.exists():  # values of an earlier run would be added in
        for child in path.glob("*.db"):
            child.unlink()
    path.mkdir(parents=True, exist_ok=True)
    os.environ[METRICS_DIR_ENV] = str(path)
    return path


def _child_exit(_server: Any, worker: Any) -> None:
    """A worker ended: its live gauges no longer count."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


class WorkersApp(BaseApplication):  # type: ignore[misc,unused-ignore]
    """gunicorn, configured from code (no gunicorn.conf.py)."""

    def __init__(self, settings: Settings, *, host: str, port: int, workers: int,
                 make_app: Callable[[Settings], Any], shutdown_seconds: float) -> None:
        self.settings = settings
        self.make_app = make_app
        self.options = {
            "bind": f"{host}:{port}", "workers": workers, "worker_class": WORKER_CLASS,
            "graceful_timeout": math.ceil(shutdown_seconds), "timeout": 30, "keepalive": 75,
            "accesslog": None, "proc_name": "tongguan", "child_exit": _child_exit,
            "reuse_port": True,
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.make_app(self.settings)


def run_workers(settings: Settings, *, host: str, port: int, workers: int,
                make_app: Callable[[Settings], Any], shutdown_seconds: float) -> None:
    """Serve with ``workers`` processes until SIGTERM / SIGINT; cleans the metrics folder
    it made."""
    made = METRICS_DIR_ENV not in os.environ
    folder = prepare_metrics_dir()
    try:
        WorkersApp(settings, host=host, port=port, workers=workers, make_app=make_app,
                   shutdown_seconds=shutdown_seconds).run()
    finally:
        if made:
            shutil.rmtree(folder, ignore_errors=True)
