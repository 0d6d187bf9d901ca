"""The check of each setting's value, by key: ``VALIDATORS[key](value)`` returns what is
wrong with it (``None`` when it is fine); :func:`bot.config.loading.load_settings` runs it
on every value it reads and raises :class:`~bot.errors.ConfigError` with the problem.
"""

from __future__ import annotations

import typing
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config.schema import RETENTION_KINDS

MIN_SECRET_LENGTH = 32


VALIDATORS: dict[str, typing.Callable[[Any], str | None]] = {
    "secret_key": lambda v: "missing (set it in config.yml or TONGGUAN_SECRET_KEY)" if not v
    else None if len(v) >= MIN_SECRET_LENGTH
    else f"must be at least {MIN_SECRET_LENGTH} characters",
    "database_url": lambda v: None if v.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://"))
    else "must start with sqlite+aiosqlite:// or postgresql+asyncpg://",
    "database_pool_size": lambda v: None if 1 <= v <= 200 else "must be between 1 and 200",
    "port": lambda v: None if 0 < v < 65536 else "must be between 1 and 65535",
    "default_language": lambda v: None if v in ("zh", "en") else "must be zh or en",
    "log_level": lambda v: None if v.upper() in ("DEBUG", "INFO", "WARNING", "ERROR")
    else "must be DEBUG, INFO, WARNING or ERROR",
    "admin_token": lambda v: None if v == "" or len(v) >= 16
    else "must be empty (admin APIs off) or at least 16 characters",
    "idle_minutes": lambda v: None if v > 0 else "must be positive",
    "session_days": lambda v: None if v > 0 else "must be positive",
    "nlu.backend": lambda v: None if v in ("builtin", "rasa") else "must be builtin or rasa",
    "nlu.threshold": lambda v: None if 0 <= v <= 1 else "must be between 0 and 1",
    "wechat.reply_budget": lambda v: None if 0 < v < 5 else "must be between 0 and 5 seconds",
    "declarations.max_dependants": lambda v: None if 0 <= v <= 50 else "must be 0-50",
    "declarations.contact_zh": lambda v: None if 1 <= len(v) <= 100 else "must be 1-100 chars",
    "declarations.contact_en": lambda v: None if 1 <= len(v) <= 100 else "must be 1-100 chars",
    "declarations.rules_reload_seconds": lambda v: None if v >= 0 else "must be 0 or more",
    "filings.rules_reload_seconds": lambda v: None if v >= 0 else "must be 0 or more",
    "ops.timezone": lambda v: None if _known_zone(v) else "must be an IANA time zone",
    "ops.poll_seconds": lambda v: None if 0.05 <= v <= 10 else "must be 0.05-10 seconds",
    "ops.small_cell": lambda v: None if 1 <= v <= 100 else "must be 1-100",
    "ops.handoff_wait_minutes": lambda v: None if 1 <= v <= 1440 else "must be 1-1440",
    "codes.live_seconds": lambda v: None if 10 <= v <= 3600 else "must be 10-3600 seconds",
    "codes.paper_hours": lambda v: None if 1 <= v <= 168 else "must be 1-168 hours",
    "codes.paper_per_day": lambda v: None if 1 <= v <= 20 else "must be 1-20",
    "codes.revocation_stale_minutes": lambda v: None if 1 <= v <= 24 * 60
    else "must be 1-1440 minutes",
    "wechat.aes_key": lambda v: None if v == "" or len(v) == 43 else "must be 43 characters",
    "rate_limits.redis_url": lambda v: None if v == "" or v.startswith(("redis://", "rediss://",
                                                                        "unix://"))
    else "must be empty or a redis://, rediss:// or unix:// URL",
    "rate_limits.image_decodes": lambda v: None if 1 <= v <= 64 else "must be 1-64",
    "log_format": lambda v: None if v in ("text", "json") else "must be text or json",
    "jobs.lease_seconds": lambda v: None if 1 <= v <= 3600 else "must be 1-3600 seconds",
    "jobs.supply_release_at": lambda v: None if v == "" or _clock_time(v)
    else "must be empty or HH:MM",
    "jobs.supply_sweep_seconds": lambda v: None if v >= 0 else "must be 0 or more",
    "jobs.checkins_sweep_seconds": lambda v: None if v >= 0 else "must be 0 or more",
    "seal.key": lambda v: None if v == "" or len(v) >= MIN_SECRET_LENGTH
    else f"must be empty or at least {MIN_SECRET_LENGTH} characters",
    "seal.previous_keys": lambda v: None if all(
        len(k.strip()) >= MIN_SECRET_LENGTH for k in v.split(",") if k.strip())
    else f"each secret must be at least {MIN_SECRET_LENGTH} characters",
    "retention.batch_size": lambda v: None if 1 <= v <= 100_000 else "must be 1-100000",
    "retention.run_at": lambda v: None if v == "" or _clock_time(v)
    else "must be HH:MM (city time) or empty",
    **{f"retention.{kind}_days": (lambda v: None if 0 <= v <= 36_500
                                  else "must be 0 (keep) or a number of days")
       for kind in RETENTION_KINDS},
    **{f"rate_limits.{name}": (lambda v: None if 0 <= v <= 1_000_000 else "must be 0 or more")
       for name in ("sessions_per_minute", "chat_turns_per_minute", "verify_per_minute",
                    "staff_logins_per_minute", "staff_logins_per_address_per_minute",
                    "pickup_lookups_per_minute", "paper_codes_per_hour")},
}


def _clock_time(text: str) -> bool:
    try:
        time.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 5


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return False
    return True
