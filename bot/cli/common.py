"""What every command module shares: settings from ``--config``, logging.

Feature command modules (``Feature.cli`` in ``bot/features.py``) import these from here,
not from ``bot.cli.core_cmds``: the application's own commands sit above the features.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.config import Settings, load_settings


def settings_from(args: argparse.Namespace) -> Settings:
    return load_settings(Path(args.config) if getattr(args, "config", None) else None)


def configure_logging(settings: Settings) -> None:
    """Log at ``log_level`` in ``log_format`` (text or JSON lines; ``bot/logs.py``)."""
    from bot.logs import configure

    configure(settings.log_level, settings.log_format)
