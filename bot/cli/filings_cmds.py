"""``tongguan firms import`` (the firm register) and ``tongguan filings report``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from bot.cli.common import settings_from


async def _import(args: argparse.Namespace) -> int:
    from bot.hub import open_base_hub
    from bot.services.filings.firms import import_firms

    text = Path(args.file).read_text(encoding="utf-8-sig")
    async with open_base_hub(settings_from(args)) as hub:
        report = await import_firms(hub, text, dry_run=args.dry_run)
    print(json.dumps(report.as_json(), ensure_ascii=False))
    if report.invalid:
        print(f"not imported: {report.invalid} invalid rows (first: line "
              f"{report.errors[0][0]}: {report.errors[0][1]})", file=sys.stderr)
        return 1
    return 0


async def _report(args: argparse.Namespace) -> int:
    from bot.hub import open_base_hub
    from bot.services.filings.report import build_report, report_csv, report_html

    async with open_base_hub(settings_from(args)) as hub:
        built = await build_report(hub, district=args.district, charter_min=args.charter_min)
    text = report_csv(built) if args.format == "csv" else report_html(built)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``firms import`` and ``filings report``."""
    firms = sub.add_parser("firms", help="the firm register (resumption rate denominator)")
    fc = firms.add_subparsers(dest="firms_command", metavar="FIRMS_COMMAND", required=True)
    imp = fc.add_parser("import", help="load FILE.csv: uscc, name, industry, district "
                                       "(all rows or none; again changes nothing)")
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="check only, apply nothing")
    imp.set_defaults(func=lambda args: asyncio.run(_import(args)))

    filings = sub.add_parser("filings", help="business-resumption filings")
    fl = filings.add_subparsers(dest="filings_command", metavar="FILINGS_COMMAND",
                                required=True)
    rep = fl.add_parser("report", help="the resumption analysis report")
    rep.add_argument("--district", help="one district (default: the city)")
    rep.add_argument("--format", choices=("csv", "html"), default="html")
    rep.add_argument("--out", help="write to this file (default: stdout)")
    rep.add_argument("--charter-min", type=int, default=30,
                     help="returning workers from one city that justify a charter "
                          "(default 30)")
    rep.set_defaults(func=lambda args: asyncio.run(_report(args)))
