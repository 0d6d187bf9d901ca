"""Settings read from ``config.yml`` (or ``$TONGGUAN_CONFIG``) and ``TONGGUAN_<KEY>``
environment variables, coerced to each field's type and validated; and the list of every
setting for the docs.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.config.schema import Settings
from bot.config.validation import VALIDATORS
from bot.errors import ConfigError

ENV_PREFIX = "TONGGUAN_"
DEFAULT_CONFIG_FILE = Path("config.yml")


def _coerce(key: str, kind: Any, raw: Any) -> Any:
    try:
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if kind is int:
            if isinstance(raw, bool):
                raise ValueError(raw)
            return int(raw)
        if kind is float:
            return float(raw)
        if kind is Path:
            return Path(str(raw))
        if raw is None or isinstance(raw, (dict, list)):
            raise ValueError(raw)
        return str(raw)
    except (TypeError, ValueError):
        name = getattr(kind, "__name__", str(kind))
        raise ConfigError(key, f"expected {name}, got {raw!r}") from None


def _build(cls: type, data: Mapping[str, Any], env: Mapping[str, str], prefix: str) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(prefix.rstrip(".") or "config.yml", "must be a mapping")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    for extra in set(data) - known:
        raise ConfigError(prefix + str(extra), "unknown setting")
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        key = prefix + f.name
        kind = hints[f.name]
        if isinstance(kind, type) and dataclasses.is_dataclass(kind):
            values[f.name] = _build(kind, data.get(f.name) or {}, env, key + ".")
            continue
        env_name = ENV_PREFIX + key.replace(".", "_").upper()
        if env_name in env:
            raw = env[env_name]
        elif f.name in data:
            raw = data[f.name]
        elif f.default is not dataclasses.MISSING:
            raw = f.default
        else:
            raise ConfigError(key, f"missing (set it in config.yml or {env_name})")
        value = _coerce(key, kind, raw)
        check = VALIDATORS.get(key)
        problem = check(value) if check else None
        if problem:
            raise ConfigError(key, problem)
        values[f.name] = value
    return cls(**values)


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None,
                  **overrides: Any) -> Settings:
    """Read settings from ``path`` (default ``$TONGGUAN_CONFIG`` or ``config.yml``) and env.

    Raises:
        ConfigError: a key is missing, unknown or invalid.
    """
    env = os.environ if env is None else env
    if path is None:
        path = Path(env.get(ENV_PREFIX + "CONFIG", DEFAULT_CONFIG_FILE))
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark else ""
            raise ConfigError(str(path), f"not valid YAML{where}") from err
    settings = _build(Settings, data, env, "")
    return dataclasses.replace(settings, **overrides) if overrides else settings


def describe_settings() -> list[tuple[str, str, str, str]]:
    """(key, environment variable, default, description) for every setting; used by docs."""
    rows: list[tuple[str, str, str, str]] = []

    def walk(cls: type, prefix: str) -> None:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if dataclasses.is_dataclass(hints[f.name]):
                walk(hints[f.name], prefix + f.name + ".")
                continue
            key = prefix + f.name
            default = "" if f.default is dataclasses.MISSING else str(f.default)
            rows.append((key, ENV_PREFIX + key.replace(".", "_").upper(), default,
                         f.metadata.get("doc", "")))

    walk(Settings, "")
    return rows
