"""``tongguan parse``: print Rasa's parse shape for a text (or for each stdin line)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from bot.config import load_settings
from bot.nlu.base import Interpreter
from bot.nlu.factory import build_interpreter


def register(subparsers: Any) -> None:
    """Add the ``parse`` command."""
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
