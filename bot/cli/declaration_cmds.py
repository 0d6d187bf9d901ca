"""``tongguan declarations ...``: admin commands of health declarations and codes.

``set-status SUBJECT --color red --reason TEXT [--reason-en TEXT] [--hours N]``,
``import-status FILE.csv --color red|yellow --reason-zh … --reason-en … [--hours N]
[--dry-run]``, ``history SUBJECT``, ``rebind (ID_NUMBER | --id-stdin) --to USER_KEY
--reason TEXT``, ``reapply-rules``, ``venue-add CODE NAME [--district D]`` (check-in mode),
``sweep-checkins``. (Registered under ``declarations`` so as not to clash with
``tongguan code``.) And ``tongguan residents import FILE.csv [--dry-run]`` / ``count`` /
``clear --yes``: the optional resident register.

Staff actions are audited with the actor ``cli:<os user>``. ID numbers are never taken
from the command line when ``--id-stdin`` is given (no shell history), and never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from bot.errors import TongguanError


class CommandError(TongguanError):
    """A bad argument; one line on stderr, exit 2."""


#: subjects made before 2026-12 may begin with "-": argparse needs them after "--"
SUBJECT_HELP = ("pseudonymous subject id (as in the code); one that begins with '-' goes "
                "after --, as in: history -- -AbC")


def _run(args: argparse.Namespace, work: Any) -> Any:
    from bot.cli.common import settings_from
    from bot.hub import open_base_hub
    from bot.services.declarations import declarations

    async def main() -> Any:
        async with open_base_hub(settings_from(args)) as hub:
            return await work(declarations(hub))

    return asyncio.run(main())


def _actor() -> str:
    """Who ran the command, for the audit logs."""
    try:
        return f"cli:{getpass.getuser()}"[:120]
    except (KeyError, OSError):
        return "cli:unknown"


def _set_status(args: argparse.Namespace) -> int:
    from bot.services.declarations import set_status

    async def work(svc: Any) -> Any:
        try:
            return await set_status(svc, subject=args.subject, color=args.color,
                                    reason_zh=args.reason, reason_en=args.reason_en or args.reason,
                                    hours=args.hours, actor=_actor())
        except LookupError:
            raise CommandError(f"no subject {args.subject!r}") from None

    status, revoked = _run(args, work)
    print(json.dumps({"subject": args.subject, "color": status.color, "revoked": revoked,
                      "valid_until": status.valid_until.isoformat()}))
    return 0


def _reapply(args: argparse.Namespace) -> int:
    from bot.services.declarations import reapply_rules

    async def work(svc: Any) -> Any:
        return await reapply_rules(svc, actor=_actor())

    print(json.dumps(_run(args, work)))
    return 0


def _import_status(args: argparse.Namespace) -> int:
    from bot.services.declarations.officials import (
        StatusListError,
        import_statuses,
        read_text,
    )

    async def work(svc: Any) -> Any:
        try:
            return await import_statuses(
                svc, read_text(Path(args.file)), color=args.color, reason_zh=args.reason_zh,
                reason_en=args.reason_en, hours=args.hours, dry_run=args.dry_run,
                actor=_actor())
        except StatusListError as err:
            raise CommandError(str(err)) from None

    report = _run(args, work)
    if report.invalid:
        print(f"{report.invalid} invalid row(s): nothing applied; fix the lines below "
              "and run again")
    elif not report.rows:
        print("no rows: nothing applied")
    elif report.dry_run:
        print("dry run: nothing changed")
    else:
        print(f"applied as batch {report.batch}")
    print(f"rows {report.rows}  matched {report.matched}  unknown (pending) {report.unknown}  "
          f"invalid {report.invalid}  duplicates {report.duplicates}  "
          f"unchanged {report.unchanged}")
    if report.applied:
        print(f"revoked statuses {report.revoked_statuses}  revoked codes "
              f"{report.revoked_codes}  notices queued {report.notices}")
    for line, problem in report.errors:
        print(f"line {line}: {problem}")
    print(json.dumps(report.as_json()))
    return 1 if report.invalid else 0


def _history(args: argparse.Namespace) -> int:
    from bot.clock import CITY_TZ
    from bot.services.declarations.trust import history

    rows = _run(args, lambda svc: history(svc, args.subject))
    if not rows:
        raise CommandError(f"no history for subject {args.subject!r}")
    for row in rows:
        at = row["at"].astimezone(CITY_TZ).isoformat(timespec="seconds")
        reasons = " / ".join(f"{r.get('zh', '')} | {r.get('en', '')}" for r in row["reasons"])
        source = row["source"] + (f" {row['batch']}" if row["batch"] else "")
        old = row["old"] or "-"
        print(f"{at}  {row['kind']:<7} {old} → {row['new']}  {source}  by {row['actor']}"
              f"  {reasons}")
    return 0


def _rebind(args: argparse.Namespace) -> int:
    from bot.services.declarations.trust import TrustError, rebind

    if args.id_stdin == bool(args.id_number):
        raise CommandError("give the ID number either as an argument or with --id-stdin")
    id_number = sys.stdin.readline().strip() if args.id_stdin else args.id_number

    async def work(svc: Any) -> Any:
        try:
            return await rebind(svc, id_number=id_number, to_key=args.to, reason=args.reason,
                                actor=_actor())
        except TrustError as err:
            raise CommandError(str(err)) from None

    print(json.dumps(_run(args, work)))
    return 0


def _residents_import(args: argparse.Namespace) -> int:
    from bot.services.declarations.officials import StatusListError, read_text
    from bot.services.declarations.register import import_register

    try:
        text = read_text(Path(args.file))
    except StatusListError as err:
        raise CommandError(str(err)) from None
    report = _run(args, lambda svc: import_register(svc, text, dry_run=args.dry_run))
    if report.invalid:
        print(f"{report.invalid} invalid row(s): nothing imported")
    elif args.dry_run:
        print("dry run: nothing changed")
    print(f"rows {report.rows}  valid {report.valid}  invalid {report.invalid}  "
          f"duplicates {report.duplicates}  imported {report.imported}")
    for line, problem in report.errors:
        print(f"line {line}: {problem}")
    print(json.dumps(report.as_json()))
    return 1 if report.invalid else 0


def _residents_count(args: argparse.Namespace) -> int:
    from bot.services.declarations.register import register_size

    print(json.dumps({"residents": _run(args, register_size)}))
    return 0


def _residents_clear(args: argparse.Namespace) -> int:
    from bot.services.declarations.register import clear_register

    if not args.yes:
        raise CommandError("this unloads the whole register; add --yes")
    print(json.dumps({"deleted": _run(args, clear_register)}))
    return 0


def _venue_add(args: argparse.Namespace) -> int:
    from bot.services.declarations.checkins import VenueError, add_venue

    async def work(svc: Any) -> str:
        try:
            return await add_venue(svc, args.code, args.name, args.district)
        except VenueError as err:
            raise CommandError(str(err)) from None

    token = _run(args, work)
    print(f"venue {args.code} opted in to check-in mode; device link (shown once):")
    print(f"/checkpoint?venue_token={token}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from bot.services.declarations.checkins import sweep_checkins

    print(json.dumps({"deleted": _run(args, sweep_checkins)}))
    return 0


def add_set_status_parser(cmds: argparse._SubParsersAction) -> None:
    """``set-status``: under ``tongguan declarations`` and ``tongguan code`` alike."""
    p = cmds.add_parser("set-status", help="set a subject's colour; revokes earlier codes")
    p.add_argument("subject", help=SUBJECT_HELP)
    p.add_argument("--color", required=True, choices=["green", "yellow", "red"])
    p.add_argument("--reason", required=True, help="reason shown to the resident (zh)")
    p.add_argument("--reason-en", help="English reason (default: --reason)")
    p.add_argument("--hours", type=int, choices=range(1, 169), metavar="1-168")
    p.set_defaults(func=_set_status)


def register(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("declarations", help="health declarations and code statuses")
    cmds = group.add_subparsers(dest="decl_cmd", metavar="ACTION", required=True)
    add_set_status_parser(cmds)
    p = cmds.add_parser("reapply-rules", help="re-assess current codes with risk_rules.yml")
    p.set_defaults(func=_reapply)
    p = cmds.add_parser("venue-add", help="opt a venue in to check-in mode")
    p.add_argument("code")
    p.add_argument("name")
    p.add_argument("--district", default="",
                   help="the venue's district code (jiangan, wuchang, …): check-ins count there")
    p.set_defaults(func=_venue_add)
    p = cmds.add_parser("sweep-checkins", help="delete check-ins older than 21 days")
    p.set_defaults(func=_sweep)
    p = cmds.add_parser("import-status", help="apply an official status list (CSV: ID number"
                        "[, name]); all rows or none")
    p.add_argument("file", help="CSV file: ID number, optional name; one person a line")
    p.add_argument("--color", required=True, choices=["red", "yellow"])
    p.add_argument("--reason-zh", required=True, help="reason shown to the resident (zh)")
    p.add_argument("--reason-en", required=True, help="reason shown to the resident (en)")
    p.add_argument("--hours", type=int, metavar="N",
                   help="how long the status lasts (default 336 = 14 days)")
    p.add_argument("--dry-run", action="store_true",
                   help="count matched / unknown / invalid rows and change nothing")
    p.set_defaults(func=_import_status)
    p = cmds.add_parser("history", help="every status and binding change of a subject")
    p.add_argument("subject", help=SUBJECT_HELP)
    p.set_defaults(func=_history)
    p = cmds.add_parser("rebind", help="bind an ID number to another chat account (after "
                        "checking papers); audited")
    p.add_argument("id_number", nargs="?", help="the ID number (better: --id-stdin)")
    p.add_argument("--id-stdin", action="store_true",
                   help="read the ID number from the first line of stdin (not in history)")
    p.add_argument("--to", required=True, metavar="USER_KEY",
                   help="the account, channel:user_id (e.g. wechat:OPENID, web:abc123)")
    p.add_argument("--reason", required=True, help="why, e.g. which papers were checked")
    p.set_defaults(func=_rebind)

    group = sub.add_parser("residents", help="the optional resident register")
    cmds = group.add_subparsers(dest="residents_cmd", metavar="ACTION", required=True)
    p = cmds.add_parser("import", help="load or update the register (CSV: ID number, name, "
                        "district, street, building); all rows or none")
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="check the file, change nothing")
    p.set_defaults(func=_residents_import)
    p = cmds.add_parser("count", help="how many people are on the register")
    p.set_defaults(func=_residents_count)
    p = cmds.add_parser("clear", help="unload the register (back to the checksum check)")
    p.add_argument("--yes", action="store_true", help="really")
    p.set_defaults(func=_residents_clear)
