"""``filing_rules.yml`` reloads like the risk rules: each process watches the file.

A valid edit goes live within ``filings.rules_reload_seconds`` (logged
``filings.rules.reloaded``); a broken one is logged (``filings.rules.rejected``) and the
last good rules stay live. New submissions use the live rules.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.services.filings.context import Filings, filings
from bot.services.filings.rules import FilingRulesError, load_rules, rules_path

if TYPE_CHECKING:
    from bot.hub import Hub

log = logging.getLogger("tongguan.filings")

Stamp = tuple[int, int] | None


def file_stamp(ctx: Filings) -> Stamp:
    try:
        info = rules_path(ctx.hub.settings.filings.rules_file).stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def reload_rules(ctx: Filings, seen: Stamp) -> Stamp:
    """Load the rules again if the file changed since ``seen``; never raises."""
    stamp = file_stamp(ctx)
    if stamp == seen:
        return seen
    try:
        rules = load_rules(ctx.hub.settings.filings.rules_file)
    except FilingRulesError as err:
        log.warning("filings.rules.rejected %s; version %s stays live", err,
                    ctx.rules.version)
        return stamp
    except Exception:  # a bug must not stop the watching
        log.exception("filings.rules.reload_failed; version %s stays live", ctx.rules.version)
        return stamp
    if rules.version != ctx.rules.version:
        log.info("filings.rules.reloaded version=%s was=%s", rules.version, ctx.rules.version)
        ctx.rules = rules
    return stamp


async def watch_rules(hub: Hub, interval: float | None = None) -> None:
    """Reload the filing rules whenever the file changes (a background job)."""
    if interval is None:
        interval = hub.settings.filings.rules_reload_seconds
    if interval <= 0:
        return
    ctx = filings(hub)
    seen = file_stamp(ctx)
    while True:
        await asyncio.sleep(interval)
        seen = reload_rules(ctx, seen)
