"""``tongguan roles``: staff roles held by chat identities (who may start staff flows)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json

from bot.cli.common import settings_from
from bot.roles import STAFF_ROLES


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


async def _run(args: argparse.Namespace) -> int:
    from bot.hub import open_base_hub
    from bot.services.chat_roles import chat_roles

    async with open_base_hub(settings_from(args)) as hub:
        roles = chat_roles(hub)
        if args.roles_command == "list":
            for row in await roles.list():
                print(json.dumps({"user": row.user_key, "role": row.role,
                                  "district": row.district, "granted_by": row.granted_by,
                                  "granted_at": row.granted_at.isoformat()}))
            return 0
        if args.roles_command == "grant":
            changed = await roles.grant(args.user_key, args.role, by=_actor(),
                                        district=args.district)
            where = f" in {args.district}" if args.district else ""
            print(f"{args.user_key} {'now holds' if changed else 'already held'} "
                  f"{args.role}{where}")
        else:
            changed = await roles.revoke(args.user_key, args.role, by=_actor())
            print(f"{args.user_key} {'no longer holds' if changed else 'did not hold'} "
                  f"{args.role}")
        return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``roles grant|revoke|list``."""
    parser = sub.add_parser("roles", help="staff roles of chat identities (flow audiences)")
    commands = parser.add_subparsers(dest="roles_command", metavar="ROLES_COMMAND",
                                     required=True)
    for name, what in (("grant", "give a chat identity a staff role"),
                       ("revoke", "take a staff role from a chat identity")):
        cmd = commands.add_parser(name, help=what)
        cmd.add_argument("user_key", help="channel:user, e.g. wechat:<openid> or web:<id>")
        cmd.add_argument("role", help=f"one of: {', '.join(STAFF_ROLES)}")
        if name == "grant":
            cmd.add_argument("--district", help="scope the grant to one of the city's "
                             "districts (code or name, e.g. wuchang): forms that ask the "
                             "district (the screening) take it from here")
    commands.add_parser("list", help="every grant, one JSON line each")
    parser.set_defaults(func=lambda args: asyncio.run(_run(args)))
