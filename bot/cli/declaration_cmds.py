"""``tongguan declarations ...``: admin commands of health declarations and codes.

``set-status SUBJECT --color red --reason TEXT [--reason-en TEXT] [--hours N]``,
``reapply-rules``, ``venue-add CODE NAME`` (check-in mode), ``sweep-checkins``.
(Registered under ``declarations`` so as not to clash with ``tongguan code``.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from bot.errors import TongguanError


class CommandError(TongguanError):
    """A bad argument; one line on stderr, exit 2."""


def _run(args: argparse.Namespace, work: Any) -> Any:
    from bot.cli.core_cmds import settings_from
    from bot.hub import open_hub
    from bot.services.declarations import declarations

    async def main() -> Any:
        async with open_hub(settings_from(args), with_dialogue=False) as hub:
            return await work(declarations(hub))

    return asyncio.run(main())


def _set_status(args: argparse.Namespace) -> int:
    from bot.services.declarations import set_status

    async def work(svc: Any) -> Any:
        try:
            return await set_status(svc, subject=args.subject, color=args.color,
                                    reason_zh=args.reason, reason_en=args.reason_en or args.reason,
                                    hours=args.hours)
        except LookupError:
            raise CommandError(f"no subject {args.subject!r}") from None

    status, revoked = _run(args, work)
    print(json.dumps({"subject": args.subject, "color": status.color, "revoked": revoked,
                      "valid_until": status.valid_until.isoformat()}))
    return 0


def _reapply(args: argparse.Namespace) -> int:
    from bot.services.declarations import reapply_rules

    print(json.dumps(_run(args, reapply_rules)))
    return 0


def _venue_add(args: argparse.Namespace) -> int:
    from bot.services.declarations.checkins import VenueError, add_venue

    async def work(svc: Any) -> str:
        try:
            return await add_venue(svc, args.code, args.name)
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
    p.add_argument("subject", help="pseudonymous subject id (as in the code)")
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
    p.set_defaults(func=_venue_add)
    p = cmds.add_parser("sweep-checkins", help="delete check-ins older than 21 days")
    p.set_defaults(func=_sweep)
