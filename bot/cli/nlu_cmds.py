"""``tongguan parse``: print Rasa's parse shape for a text (or for each stdin line);
``tongguan nlu export|import DIR``: the live intent set of the database to ``DIR/nlu.yml``
and back (docs/nlu.md)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import settings_from
from bot.config import Settings, load_settings
from bot.nlu.base import Interpreter
from bot.nlu.factory import build_interpreter

IMPORT_AUTHOR = "cli"


async def _export(settings: Settings, directory: Path) -> int:
    from bot.hub import open_base_hub
    from bot.services.nlu_versions import nlu_versions

    async with open_base_hub(settings) as hub:
        row = await nlu_versions(hub).live()
    if row is None:
        print("no intent set saved yet (the server seeds version 1 from intents/ at start)",
              file=sys.stderr)
        return 1
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "nlu.yml").write_text(row.yaml, encoding="utf-8")
    print(f"nlu.yml\tversion {row.version}\t{row.intents} intents, {row.examples} examples")
    return 0


async def _import(settings: Settings, directory: Path) -> int:
    from bot.hub import open_base_hub
    from bot.nlu.checks import check
    from bot.nlu.intent_set import IntentSet
    from bot.nlu.training import NluDataError
    from bot.services.nlu_versions import StaleBase, nlu_versions

    try:
        intents = IntentSet.from_dir(directory)
    except (NluDataError, OSError, UnicodeDecodeError) as err:
        print(f"{directory}: {err}")
        return 1
    errors = [p for p in check(intents) if p.error]
    for p in errors:
        print(f"{directory}: {p.kind}: {p.message}")
    if errors:
        return 1
    text = intents.to_yaml()
    async with open_base_hub(settings) as hub:
        store = nlu_versions(hub)
        row = await store.live()
        if row is not None and row.yaml == text:
            print("unchanged", file=sys.stderr)
            return 0
        try:
            version = await store.save(
                text, intents=len(intents.intents), examples=intents.example_count,
                author=IMPORT_AUTHOR, note=f"tongguan nlu import {directory}",
                base_version=row.version if row else None, actor=IMPORT_AUTHOR,
                audit_detail={"source": "cli"})
        except StaleBase as err:
            print(f"{err}; not imported")
            return 1
    print(f"version {version}\t{len(intents.intents)} intents, {intents.example_count} examples")
    return 0


def _run_export(args: argparse.Namespace) -> int:
    return asyncio.run(_export(settings_from(args), Path(args.dir)))


def _run_import(args: argparse.Namespace) -> int:
    return asyncio.run(_import(settings_from(args), Path(args.dir)))


def register(subparsers: Any) -> None:
    """Add the ``parse`` command and the ``nlu export|import`` group."""
    group = subparsers.add_parser("nlu", help="NLU intent set versions (docs/nlu.md)"
                                  ).add_subparsers(dest="nlu_cmd")
    p = group.add_parser("export", help="write the live intent set to DIR/nlu.yml")
    p.add_argument("dir")
    p.set_defaults(func=_run_export)
    p = group.add_parser("import", help="save DIR/nlu.yml (and DIR/nlu/*.yml) as the next "
                                        "version (author cli) when it differs; exit 1 if "
                                        "refused")
    p.add_argument("dir")
    p.set_defaults(func=_run_import)
    cmd = subparsers.add_parser(
        "parse", help="show intent and entities of a message (Rasa's parse shape)",
        description="Parse TEXT and print Rasa's /model/parse JSON. Without TEXT, parse "
                    "each line of stdin and print one JSON object per line.")
    cmd.add_argument("text", nargs="?", help="the message; omit to read lines from stdin")
    cmd.add_argument("--indent", type=int, default=None,
                     help="pretty-print single-text output with this indent")
    cmd.set_defaults(func=run)


async def _parse_all(interpreter: Interpreter, text: str | None, indent: int | None) -> None:
    async def show(line: str, indent: int | None = None) -> None:
        result = (await interpreter.parse(line)).to_dict()
        print(json.dumps(result, ensure_ascii=False, indent=indent), flush=True)

    try:
        if text is not None:
            await show(text, indent)
            return
        for line in sys.stdin:
            await show(line.rstrip("\r\n"))
    finally:
        await interpreter.close()


def run(args: argparse.Namespace) -> int:
    """Parse the text argument, or every stdin line; exit 0."""
    for stream in (sys.stdout, sys.stdin):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="backslashreplace"
                               if stream is sys.stdout else "replace")
    settings = load_settings(Path(args.config) if args.config else None)
    interpreter = build_interpreter(settings)
    asyncio.run(_parse_all(interpreter, args.text, args.indent))
    return 0


__all__ = ["register", "run"]
