"""``tongguan retention run|log|hold|unhold|holds`` and ``tongguan secrets rotate-seal``
(docs/privacy.md). Runs are audited as ``cli:<os user>``."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from bot.cli.common import settings_from


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:120]
    except (KeyError, OSError):
        return "cli:unknown"


async def _run(args: argparse.Namespace) -> int:
    from bot.hub import open_base_hub
    from bot.services.privacy.retention import RetentionError, check_kinds, run_retention

    try:
        check_kinds(args.kind)
    except RetentionError as err:
        print(err, file=sys.stderr)
        return 2
    async with open_base_hub(settings_from(args)) as hub:
        report = await run_retention(hub, dry_run=args.dry_run, trigger=_actor(),
                                     kinds=args.kind)
    verb = "due" if args.dry_run else "removed"
    for r in report.results:
        if r.cutoff is None:
            print(f"{r.kind:<13} kept for ever (0 days)")
            continue
        print(f"{r.kind:<13} {r.days:>5} days  {verb}: {r.deleted} deleted, "
              f"{r.anonymised} anonymised")
    if args.dry_run:
        print("dry run: nothing was changed")
    return 0


async def _log(args: argparse.Namespace) -> int:
    from bot.hub import open_base_hub
    from bot.services.privacy.retention import read_log

    async with open_base_hub(settings_from(args)) as hub:
        rows = await read_log(hub, limit=args.limit)
    for r in rows:
        print(f"{r.at.astimezone():%Y-%m-%d %H:%M:%S}  {r.run:<16} {r.trigger:<20} "
              f"{r.kind:<13} deleted {r.deleted:>7}  anonymised {r.anonymised:>7}")
    return 0


async def _hold(args: argparse.Namespace) -> int:
    from bot.hub import open_base_hub
    from bot.services.privacy.holds import HoldError, lift_hold, list_holds, place_hold

    async with open_base_hub(settings_from(args)) as hub:
        try:
            if args.retention_command == "hold":
                await place_hold(hub, args.user_key, args.reason, actor=_actor())
                print(f"held: {args.user_key}")
            elif args.retention_command == "unhold":
                if not await lift_hold(hub, args.user_key, actor=_actor()):
                    print(f"no hold on {args.user_key}", file=sys.stderr)
                    return 1
                print(f"lifted: {args.user_key}")
            else:
                for h in await list_holds(hub):
                    print(f"{h.user_key}  {h.created_at.astimezone():%Y-%m-%d}  "
                          f"{h.placed_by}  {h.reason}")
        except HoldError as err:
            print(err, file=sys.stderr)
            return 2
    return 0


async def _rotate(args: argparse.Namespace) -> int:
    from bot.hub import open_base_hub
    from bot.services.privacy.rotation import (
        RotationError,
        not_current,
        rotate_seal,
        rotation_status,
    )
    from bot.services.staff.audit import audit

    async with open_base_hub(settings_from(args)) as hub:
        target = hub.sealer.key_id.hex()
        if args.status:
            for m in await rotation_status(hub):
                print(f"{m.table_name:<22} {'done' if m.done else 'at ' + str(m.last_key):<14}"
                      f" resealed {m.resealed}")
            return 0
        if args.verify:
            left = await not_current(hub)
            for table, n in sorted(left.items()):
                print(f"{table:<22} {n} values not under key {target}")
            print("every sealed value is under the current key" if not left else
                  "run tongguan secrets rotate-seal")
            return 0 if not left else 1
        try:
            report = await rotate_seal(hub, batch_size=args.batch,
                                       max_batches=args.max_batches)
        except RotationError as err:
            print(err, file=sys.stderr)
            return 2
        await audit(hub, actor=_actor(), action="secrets.rotate_seal", object=target,
                    detail={"resealed": report.resealed, "finished": report.finished})
    for table, n in sorted(report.resealed.items()):
        print(f"{table:<22} resealed {n}")
    print(f"finished: every sealed value is under key {target}; the previous keys can go"
          if report.finished else "paused: run it again to carry on")
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError("must be a positive whole number")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``retention …`` and ``secrets rotate-seal``."""
    ret = sub.add_parser("retention", help="keep only what is needed: delete or anonymise "
                                           "old data (docs/privacy.md)")
    rc = ret.add_subparsers(dest="retention_command", metavar="RETENTION_COMMAND",
                            required=True)
    run = rc.add_parser("run", help="delete or anonymise what is older than its "
                                    "retention.<kind>_days")
    run.add_argument("--dry-run", action="store_true", help="count what is due, change nothing")
    run.add_argument("--kind", action="append", help="only this kind (repeatable)")
    run.set_defaults(func=lambda args: asyncio.run(_run(args)))
    log = rc.add_parser("log", help="what earlier runs removed (counts per kind)")
    log.add_argument("--limit", type=_positive, default=50)
    log.set_defaults(func=lambda args: asyncio.run(_log(args)))
    hold = rc.add_parser("hold", help="keep everything of a chat identity (a legal hold)")
    hold.add_argument("user_key", help="channel:user, e.g. wechat:<openid>")
    hold.add_argument("--reason", required=True)
    hold.set_defaults(func=lambda args: asyncio.run(_hold(args)))
    unhold = rc.add_parser("unhold", help="lift a legal hold")
    unhold.add_argument("user_key")
    unhold.set_defaults(func=lambda args: asyncio.run(_hold(args)))
    holds = rc.add_parser("holds", help="list legal holds")
    holds.set_defaults(func=lambda args: asyncio.run(_hold(args)))

    sec = sub.add_parser("secrets", help="keys of data at rest")
    sc = sec.add_subparsers(dest="secrets_command", metavar="SECRETS_COMMAND", required=True)
    rot = sc.add_parser("rotate-seal", help="seal every sealed value again under seal.key "
                                            "(resumable; seal.previous_keys still open the "
                                            "rest meanwhile)")
    rot.add_argument("--batch", type=_positive, help="rows per transaction "
                                                     "(default retention.batch_size)")
    rot.add_argument("--max-batches", type=_positive, help="stop after this many batches")
    rot.add_argument("--status", action="store_true", help="show the progress and exit")
    rot.add_argument("--verify", action="store_true",
                     help="count values not under the current key (a full scan); exit 1 "
                          "if any")
    rot.set_defaults(func=lambda args: asyncio.run(_rotate(args)))
