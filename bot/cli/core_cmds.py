"""The application's own commands: serve, db upgrade, flows validate, records export,
handoffs list, chat, demo seed. They act on every feature of ``bot/features.py`` at once
(feature command modules take ``settings_from`` from ``bot.cli.common``)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli import flow_cmds
from bot.cli.common import configure_logging, settings_from
from bot.config import Settings
from bot.errors import TongguanError

if TYPE_CHECKING:
    from aiohttp import web

SWITCH_INTERVAL = 0.0005  #: seconds; see _serve
SHUTDOWN_SECONDS = 5.0  #: open requests get this long to finish on SIGTERM
GC_YOUNG_THRESHOLD = 50_000  #: see _freeze_startup_heap
#: pending connections the listening socket holds (the kernel caps it at somaxconn);
#: aiohttp's 128 dropped the handshakes of a burst of new connections, and each one
#: dropped waited for the client's SYN retransmission: 1 s, then 3 s (issue 18).
#: gunicorn (--workers N) listens with 2048 too.
LISTEN_BACKLOG = 2048

__all__ = ["configure_logging", "register", "settings_from"]


def _serve(args: argparse.Namespace) -> int:
    import uvloop

    from bot.config import check_deployable
    from bot.db.migrate import upgrade
    from bot.web import serving

    settings = settings_from(args)
    if args.log_format:
        settings = dataclasses.replace(settings, log_format=args.log_format)
    configure_logging(settings)
    if args.workers < 1:
        raise TongguanError("serve: --workers must be 1 or more")
    if args.workers > 1 and not settings.database_url.startswith("postgresql"):
        raise TongguanError("serve: --workers needs PostgreSQL (SQLite has one writer: "
                            "serve one process, or set TONGGUAN_DATABASE_URL)")
    upgrade(settings.database_url)
    check_deployable(settings)
    # The database drivers hand work to threads and back; with CPython's default 5 ms
    # GIL switch interval each hand-back can wait that long behind the event loop.
    sys.setswitchinterval(SWITCH_INTERVAL)
    host = args.host or settings.host
    port = args.port or settings.port
    if args.workers > 1:
        from bot.cli.workers import run_workers

        run_workers(settings, host=host, port=port, workers=args.workers, make_app=serve_app,
                    shutdown_seconds=SHUTDOWN_SECONDS)
        return 0
    app = serve_app(settings)
    # uvloop (libuv, by asyncpg's authors) is a drop-in asyncio loop with a faster core
    # for sockets, callbacks and timers: it serves many connections with less CPU. Its
    # listening socket accepts one connection per poll of the loop, so serving.run
    # listens on its own and accepts every pending connection at once (issue 18).
    serving.run(app, host=host, port=port, loop=uvloop.new_event_loop(),
                backlog=LISTEN_BACKLOG, shutdown_timeout=SHUTDOWN_SECONDS,
                announce=lambda: print(f"Tongguan serving on http://{host}:{port}/chat",
                                       flush=True))
    return 0


def serve_app(settings: Settings) -> web.Application:
    """The app one server process runs (each worker builds its own)."""
    from bot.web.app import init_app

    app = init_app(settings)
    app.on_startup.append(_freeze_startup_heap)  # after the hub and workers are up
    return app


async def _freeze_startup_heap(_app: object) -> None:
    freeze_startup_heap()


def freeze_startup_heap() -> None:
    """Move everything built at start-up (flows, NLU model, ORM metadata…) out of the
    garbage collector's view: it lives as long as the process, and full collections
    scanning it again and again cost every request. Then collect the young generation
    only after GC_YOUNG_THRESHOLD net allocations instead of CPython's 700: a turn's
    objects are freed by reference counting, and with 200 requests in flight the default
    threshold re-scanned live request objects hundreds of times a second (about 0.7 s of
    collector time per 27,000 PostgreSQL turns in bench/chat_turns.py, 12–17 % of the
    server's CPU; none with this threshold). Cyclic garbage waits a little longer."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def _db_upgrade(args: argparse.Namespace) -> int:
    from bot.db.migrate import upgrade

    settings = settings_from(args)
    upgrade(settings.database_url, args.revision)
    print(f"database at {args.revision}")
    return 0


def _flows_actions(args: argparse.Namespace) -> int:
    from bot.assembly import action_hub

    hub = action_hub(settings_from(args))
    for name in hub.actions.names():
        spec = hub.actions.get(name)
        sets = ", ".join(sorted(spec.sets)) or "-"
        print(f"{name}\tsets: {sets}\t{spec.description}")
    return 0


def _flows_validate(args: argparse.Namespace) -> int:
    from bot.assembly import action_hub
    from bot.dialogue.build import make_flow_registry

    settings = settings_from(args)
    directory = Path(args.dir) if args.dir else settings.flows_dir
    hub = action_hub(settings)
    registry = make_flow_registry(directory, hub.actions)
    logging.disable(logging.WARNING)
    problems = registry.load()
    for problem in problems:
        print(problem.describe())
    print(f"{len(registry.flows)} flows valid, {len(problems)} problems", file=sys.stderr)
    return 1 if problems else 0


async def _with_hub(settings: Settings, work):
    from bot.assembly import open_hub

    async with open_hub(settings, with_dialogue=False) as hub:
        return await work(hub)


def _records_export(args: argparse.Namespace) -> int:
    from bot.services.records import export_records

    settings = settings_from(args)
    text = asyncio.run(_with_hub(settings, lambda hub: export_records(hub, args.flow)))
    if text.count("\n") <= 1:  # a header alone: no records; a typo in the flow id?
        known = _flow_ids(Path(settings.flows_dir))
        if args.flow not in known:
            raise TongguanError(f"records export: no flow '{args.flow}' and no records of it "
                                f"(flows: {', '.join(sorted(known)) or 'none'})")
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _flow_ids(directory: Path) -> set[str]:
    """The ``id`` of every flow file in ``directory`` (read as plain YAML: a file with
    problems still names its flow)."""
    import yaml

    ids = set()
    for path in directory.glob("*.yml"):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and data.get("kind", "flow") == "flow" and data.get("id"):
            ids.add(str(data["id"]))
    return ids


def _handoffs_list(args: argparse.Namespace) -> int:
    from bot.services.handoffs import Handoffs

    async def work(hub):
        return await Handoffs(hub.db, hub.sealer, hub.clock).list(
            None if args.all else "open")

    rows = asyncio.run(_with_hub(settings_from(args), work))
    for row in rows:
        last = next((t["in"].get("text", "") for t in reversed(row.transcript)
                     if t["in"].get("text")), "")
        print(json.dumps({"id": row.id, "user": row.user_key, "flow": row.flow_id,
                          "status": row.status, "created_at": row.created_at.isoformat(),
                          "turns": len(row.transcript), "last_message": last[:80]},
                         ensure_ascii=False))
    if not rows:
        print("no open handoff requests", file=sys.stderr)
    return 0


def _chat(args: argparse.Namespace) -> int:
    from bot.cli.terminal import run_terminal_chat

    settings = settings_from(args)
    return asyncio.run(run_terminal_chat(settings, user=args.user, lang=args.lang))


def _demo_seed(args: argparse.Namespace) -> int:
    from bot.db.migrate import upgrade
    from bot.features import FEATURES

    settings = settings_from(args)
    upgrade(settings.database_url)

    async def work(hub):
        return [await feature.demo(hub) for feature in FEATURES if feature.demo is not None]

    for line in asyncio.run(_with_hub(settings, work)):
        print(line)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="migrate, then serve the web app")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, default=1,
                   help="server processes on the one port (gunicorn; PostgreSQL only)")
    p.add_argument("--log-format", choices=["text", "json"],
                   help="log lines: text or one JSON object each (default: log_format)")
    p.set_defaults(func=_serve)

    db = sub.add_parser("db", help="database commands").add_subparsers(dest="db_cmd")
    p = db.add_parser("upgrade", help="apply Alembic migrations")
    p.add_argument("revision", nargs="?", default="heads")
    p.set_defaults(func=_db_upgrade)

    flows = sub.add_parser("flows", help="flow commands").add_subparsers(dest="flows_cmd")
    p = flows.add_parser("validate", help="check every flow file; exit 1 listing problems")
    p.add_argument("--dir", help="flows folder (default: settings flows_dir)")
    p.set_defaults(func=_flows_validate)
    p = flows.add_parser("actions", help="list the registered actions flows may name")
    p.set_defaults(func=_flows_actions)
    flow_cmds.register(flows)

    records = sub.add_parser("records", help="form submissions").add_subparsers(dest="rec_cmd")
    p = records.add_parser("export", help="export one flow's records")
    p.add_argument("flow")
    p.add_argument("--format", choices=["csv"], default="csv")
    p.add_argument("--out")
    p.set_defaults(func=_records_export)

    handoffs = sub.add_parser("handoffs", help="human handoff requests").add_subparsers(
        dest="ho_cmd")
    p = handoffs.add_parser("list", help="list open requests (JSON lines)")
    p.add_argument("--all", action="store_true", help="include closed ones")
    p.set_defaults(func=_handoffs_list)

    p = sub.add_parser("chat", help="chat with the bot in the terminal (reads stdin when piped)")
    p.add_argument("--user", default="local", help="terminal user id")
    p.add_argument("--lang", choices=["zh", "en"])
    p.set_defaults(func=_chat)

    demo = sub.add_parser("demo", help="demo data").add_subparsers(dest="demo_cmd")
    p = demo.add_parser("seed", help="migrate and add demo data (idempotent)")
    p.set_defaults(func=_demo_seed)

    from bot.cli import jobs_cmds

    jobs_cmds.register(sub)
