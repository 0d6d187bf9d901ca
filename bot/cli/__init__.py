"""The ``tongguan`` command line.

The application's own commands (``bot/cli/core_cmds.py``: serve, db, flows, records,
handoffs, chat, demo) come first, then each feature's command group (``Feature.cli`` in
``bot/features.py``). A command module exposes ``register(subparsers)``; its commands set
``func=run`` where ``run(args) -> int`` returns the exit code. A
:class:`~bot.errors.TongguanError` (bad setting, bad input) becomes one line on
stderr and exit code 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.cli import core_cmds
from bot.errors import TongguanError
from bot.features import FEATURES


def build_parser() -> argparse.ArgumentParser:
    """The whole ``tongguan`` parser with every available command."""
    parser = argparse.ArgumentParser(prog="tongguan", description="Tongguan (通管) service.")
    parser.add_argument("--config", help="config file (default: $TONGGUAN_CONFIG or config.yml)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    core_cmds.register(sub)
    for feature in FEATURES:
        if feature.cli is not None:
            feature.cli(sub)
    return parser


def database_problem(err: BaseException) -> str | None:
    """One phrase when ``err`` (or what caused it) says the database can't be reached
    (refused, unknown host, no such database, bad login) or has no tables yet; else None."""
    seen: BaseException | None = err
    while seen is not None:
        name, text = type(seen).__name__, str(seen)
        if isinstance(seen, OSError) and not isinstance(seen, FileNotFoundError) or name in (
                "InvalidCatalogNameError", "InvalidPasswordError",
                "InvalidAuthorizationSpecificationError", "CannotConnectNowError"):
            return f"cannot connect ({name}: {text.splitlines()[0][:200] if text else ''})"
        if "unable to open database file" in text:
            return "cannot open the SQLite file"
        if name == "UndefinedTableError" or "no such table" in text:
            return "has no tables yet (run `tongguan db upgrade`)"
        seen = seen.__cause__ or seen.__context__
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tongguan`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except TongguanError as err:
        print(f"tongguan: {err}", file=sys.stderr)
        return 2
    except Exception as err:
        problem = database_problem(err)
        if problem is None:
            raise
        print(f"tongguan: config: database_url: {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
