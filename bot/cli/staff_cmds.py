"""``tongguan staff``: staff accounts (add, list, disable, enable, reset-password) and the
staff audit log."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import secrets
import sys

from bot.cli.common import settings_from
from bot.roles import STAFF_ROLES


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password from stdin (first line) with ``--password-stdin``, else a new one."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    return secrets.token_urlsafe(12), True


async def _run(args: argparse.Namespace) -> int:
    from bot.hub import open_base_hub
    from bot.services import staff

    async with open_base_hub(settings_from(args)) as hub:
        try:
            command = args.staff_command
            if command == "list":
                for account in await staff.list_accounts(hub):
                    print(json.dumps(account.to_json(), ensure_ascii=False))
            elif command == "audit":
                for entry in await staff.read_audit(hub, limit=args.limit, actor=args.actor):
                    print(json.dumps(entry.to_json(), ensure_ascii=False))
            elif command in ("add", "reset-password"):
                password, generated = _password(args)
                if command == "add":
                    account = await staff.add_account(
                        hub, args.username, args.role, password, district=args.district,
                        store=args.store, actor=_actor())
                    print(f"added {account.username} ({account.role}"
                          + (f", district {account.district}" if account.district else "")
                          + (f", store {account.store}" if account.store else "") + ")")
                else:
                    await staff.reset_password(hub, args.username, password, actor=_actor())
                    print(f"new password set for {args.username}; its sessions ended")
                if generated:
                    print(f"password: {password}")
            elif command == "disable":
                await staff.disable_account(hub, args.username, actor=_actor())
                print(f"{args.username} disabled; its sessions ended")
            else:
                await staff.enable_account(hub, args.username, actor=_actor())
                print(f"{args.username} enabled")
        except staff.StaffError as err:
            print(f"error: {err.en}", file=sys.stderr)
            return 2 if err.status != 404 else 1
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``staff add|list|disable|enable|reset-password|audit``."""
    parser = sub.add_parser("staff", help="staff accounts: the one login of every staff page")
    commands = parser.add_subparsers(dest="staff_command", metavar="STAFF_COMMAND",
                                     required=True)
    add = commands.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=STAFF_ROLES)
    add.add_argument("--district", help="scope the account to one district (not store_staff)")
    add.add_argument("--store", help="the store code (store_staff only, required there)")
    commands.add_parser("list", help="every account, one JSON line each")
    for name, what in (("disable", "disable an account and end its sessions"),
                       ("enable", "enable a disabled account")):
        commands.add_parser(name, help=what).add_argument("username")
    reset = commands.add_parser("reset-password",
                                help="set a new password, unlock, end the account's sessions")
    reset.add_argument("username")
    for cmd in (add, reset):
        cmd.add_argument("--password-stdin", action="store_true",
                         help="read the password from the first line of stdin (else one is "
                              "generated and printed)")
    log = commands.add_parser("audit", help="the staff audit log, newest first (JSON lines)")
    log.add_argument("--limit", type=int, default=50)
    log.add_argument("--actor", help="only this actor, e.g. staff:alice")
    parser.set_defaults(func=lambda args: asyncio.run(_run(args)))
