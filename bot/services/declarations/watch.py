"""Risk rules reload like flows: each process watches ``risk_rules.yml`` itself.

A valid edit goes live within ``declarations.rules_reload_seconds`` (logged
``declarations.rules.reloaded`` with the new content version); a broken edit is logged
(``declarations.rules.rejected``, naming the problem) and the last good rules stay live.
New declarations use the live rules; ``tongguan declarations reapply-rules`` re-assesses
the current codes.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.services.declarations.rules import RulesError, load_rules, rules_path
from bot.services.declarations.service import Declarations, declarations

if TYPE_CHECKING:
    from bot.hub import Hub

log = logging.getLogger("tongguan.declarations")

Stamp = tuple[int, int] | None


def file_stamp(svc: Declarations) -> Stamp:
    try:
        info = rules_path(svc.hub.settings.risk_rules_file).stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def reload_rules(svc: Declarations, seen: Stamp) -> Stamp:
    """Load the rules again if the file changed since ``seen``; returns the new stamp.

    Never raises: a broken file is logged and the live rules stay.
    """
    stamp = file_stamp(svc)
    if stamp == seen:
        return seen
    try:
        rules = load_rules(svc.hub.settings.risk_rules_file)
    except RulesError as err:
        log.warning("declarations.rules.rejected %s; version %s stays live", err,
                    svc.rules.version)
        return stamp
    except Exception:  # a bug must not stop the watching
        log.exception("declarations.rules.reload_failed; version %s stays live",
                      svc.rules.version)
        return stamp
    if rules.version != svc.rules.version:
        log.info("declarations.rules.reloaded version=%s was=%s", rules.version,
                 svc.rules.version)
        svc.rules = rules
    return stamp


async def watch_rules(hub: Hub, interval: float | None = None) -> None:
    """Reload the hub's risk rules whenever the file changes (a background task);
    ``interval`` defaults to ``declarations.rules_reload_seconds``; 0 turns it off."""
    if interval is None:
        interval = hub.settings.declarations.rules_reload_seconds
    if interval <= 0:
        return
    svc = declarations(hub)
    seen = file_stamp(svc)
    while True:
        await asyncio.sleep(interval)
        seen = reload_rules(svc, seen)
