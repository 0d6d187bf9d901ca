"""``tongguan ops report`` (the daily operations report) and ``tongguan ops fold``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

from bot.cli.common import settings_from


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a date is YYYY-MM-DD") from None


async def _report(args: argparse.Namespace) -> int:
    from bot.hub import open_base_hub
    from bot.services.ops.geo import districts
    from bot.services.ops.report import build_report, report_csv
    from bot.services.ops.report_html import report_html
    from bot.services.ops.report_pdf import report_pdf

    if args.district and args.district not in {d.code for d in districts()}:
        print(f"no district {args.district!r} (one of: "
              f"{', '.join(d.code for d in districts())})", file=sys.stderr)
        return 2
    if args.format == "pdf" and not args.out and sys.stdout.isatty():
        print("a PDF goes to a file: --out FILE (or redirect stdout)", file=sys.stderr)
        return 2
    async with open_base_hub(settings_from(args)) as hub:
        built = await build_report(hub, args.date, args.district or None)
    body = (report_pdf(built) if args.format == "pdf" else
            (report_csv(built) if args.format == "csv" else report_html(built)).encode())
    if args.out:
        Path(args.out).write_bytes(body)
    else:
        sys.stdout.buffer.write(body)
    return 0


async def _fold(args: argparse.Namespace) -> int:
    from bot.hub import open_base_hub
    from bot.services.ops.fold import fold

    async with open_base_hub(settings_from(args)) as hub:
        print(f"folded {await fold(hub)} events")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``ops report`` and ``ops fold``."""
    ops = sub.add_parser("ops", help="the operations view (一网通管): daily reports")
    oc = ops.add_subparsers(dest="ops_command", metavar="OPS_COMMAND", required=True)
    rep = oc.add_parser("report", help="the daily operations report")
    rep.add_argument("--date", type=_day, help="the city day, YYYY-MM-DD (default: today)")
    rep.add_argument("--district", help="one district (default: the city)")
    rep.add_argument("--format", choices=("html", "pdf", "csv"), default="html")
    rep.add_argument("--out", help="write to this file (default: stdout)")
    rep.set_defaults(func=lambda args: asyncio.run(_report(args)))
    fold = oc.add_parser("fold", help="fold counted events into the daily counts now (the "
                                      "server does this by itself)")
    fold.set_defaults(func=lambda args: asyncio.run(_fold(args)))
