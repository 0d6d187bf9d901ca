"""Supply commands: ``tongguan stores …`` and ``tongguan supply …``."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

from bot.config import load_settings
from bot.errors import TongguanError


class SupplyCommandError(TongguanError):
    """A bad argument or refused supply operation (one line on stderr, exit 2)."""


def _run(args: argparse.Namespace, work: Callable[[Any], Awaitable[int]]) -> int:
    from bot.hub import open_base_hub
    from bot.services.reservations import ReservationError, supply_context

    settings = load_settings(Path(args.config) if getattr(args, "config", None) else None)

    async def main() -> int:
        async with open_base_hub(settings) as hub:
            try:
                return await work(supply_context(hub))
            except ReservationError as err:
                raise SupplyCommandError(f"{err.code}: {err.en}") from None

    return asyncio.run(main())


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise SupplyCommandError(f"not a date (YYYY-MM-DD): {text}") from None


def _today(ctx: Any, text: str | None) -> date:
    return _day(text) or ctx.rules.city_day(ctx.clock.now())


def _stores_import(args: argparse.Namespace) -> int:
    from bot.services.reservations import import_stores

    text = Path(args.file).read_text(encoding="utf-8-sig")

    async def work(ctx: Any) -> int:
        print(f"{await import_stores(ctx, text)} stores imported")
        return 0

    return _run(args, work)


def _add_staff(args: argparse.Namespace) -> int:
    from bot.services.reservations import add_staff

    async def work(ctx: Any) -> int:
        password = await add_staff(ctx, args.store, args.username)
        print(f"staff {args.username} for store {args.store}; password (shown once): {password}")
        return 0

    return _run(args, work)


def _capacity(args: argparse.Namespace) -> int:
    from bot.services.reservations import set_capacity, set_stock

    async def work(ctx: Any) -> int:
        if args.stock is not None:
            await set_stock(ctx, args.product, args.stock)
            print(f"{args.product}: {args.stock} on hand")
        if args.quantity is not None:
            day = _today(ctx, args.date)
            await set_capacity(ctx, args.product, day, args.quantity)
            print(f"{args.product}: capacity {args.quantity} for {day}")
        return 0

    if args.stock is None and args.quantity is None:
        raise SupplyCommandError("give --quantity (capacity for --date) and/or --stock")
    return _run(args, work)


def _release(args: argparse.Namespace) -> int:
    from bot.services.reservations import compute_releases, set_release

    manual = [args.product, args.store, args.quantity]
    if any(v is not None for v in manual) and not all(v is not None for v in manual):
        raise SupplyCommandError("--product, --store and --quantity go together")

    async def work(ctx: Any) -> int:
        day = _today(ctx, args.date)
        if args.store is not None:
            left = await set_release(ctx, day, args.product, args.store, args.quantity)
            print(f"{args.store} {args.product} {day}: {args.quantity} ({left} left on hand)")
            return 0
        for r in await compute_releases(ctx, day):
            print(f"{r.product} {r.day}: released {r.released} now, {r.on_hand} on hand")
        return 0

    return _run(args, work)


def _status(args: argparse.Namespace) -> int:
    from bot.services.reservations import status

    async def work(ctx: Any) -> int:
        rows = await status(ctx, _today(ctx, args.date))
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0 if all(r["balanced"] for r in rows) else 1

    return _run(args, work)


def _priority(args: argparse.Namespace) -> int:
    from bot.services.reservations.priority import add_priority

    lines = Path(args.file).read_text(encoding="utf-8").split()

    async def work(ctx: Any) -> int:
        print(f"{await add_priority(ctx, args.group, lines)} people in group {args.group}")
        return 0

    return _run(args, work)


def _sweep(args: argparse.Namespace) -> int:
    from bot.services.reservations import sweep_once

    async def work(ctx: Any) -> int:
        print(json.dumps(await sweep_once(ctx)))
        return 0

    return _run(args, work)


def _draws(args: argparse.Namespace) -> int:
    from bot.services.reservations.priority import verify_draws

    async def work(ctx: Any) -> int:
        bad = 0
        for row in await verify_draws(ctx, _today(ctx, args.date)):
            print(json.dumps(row, ensure_ascii=False))
            bad += not row["reproduced"]
        return 1 if bad else 0

    return _run(args, work)


def register(sub: argparse._SubParsersAction) -> None:
    stores = sub.add_parser("stores", help="pharmacies: import, staff accounts")
    ss = stores.add_subparsers(dest="stores_command", metavar="ACTION", required=True)
    p = ss.add_parser("import", help="import stores from CSV (all rows or none)")
    p.add_argument("file")
    p.set_defaults(func=_stores_import)
    p = ss.add_parser("add-staff", help="create a staff login; prints a generated password")
    p.add_argument("store")
    p.add_argument("username")
    p.set_defaults(func=_add_staff)

    supply = sub.add_parser("supply", help="capacity, releases, status, draws")
    sp = supply.add_subparsers(dest="supply_command", metavar="ACTION", required=True)
    p = sp.add_parser("capacity", help="producers' capacity for a day, or stock on hand")
    p.add_argument("--product", required=True)
    p.add_argument("--date")
    p.add_argument("--quantity", type=int)
    p.add_argument("--stock", type=int)
    p.set_defaults(func=_capacity)
    p = sp.add_parser("release", help="compute a day's releases (idempotent) or set one")
    p.add_argument("--date")
    p.add_argument("--product")
    p.add_argument("--store")
    p.add_argument("--quantity", type=int)
    p.set_defaults(func=_release)
    p = sp.add_parser("status", help="per product: released, remaining, held, redeemed")
    p.add_argument("--date")
    p.set_defaults(func=_status)
    p = sp.add_parser("priority", help="add ID numbers (one per line) to a priority group")
    p.add_argument("--group", required=True, choices=["medical"])
    p.add_argument("file")
    p.set_defaults(func=_priority)
    p = sp.add_parser("sweep", help="expire, remind and draw once, now")
    p.set_defaults(func=_sweep)
    p = sp.add_parser("draws", help="re-run a day's lottery draws from their seeds")
    p.add_argument("--date")
    p.set_defaults(func=_draws)
