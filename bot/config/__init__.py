"""Service settings: ``config.yml`` first, each key overridable by ``TONGGUAN_<KEY>``.

Nested keys join with ``_`` in the environment: ``wechat.app_id`` is
``TONGGUAN_WECHAT_APP_ID``. A bad or missing value raises :class:`ConfigError`
naming the key; the CLI turns that into one line on stderr and exit code 2.

Import from here; the parts are :mod:`bot.config.schema` (the settings and their
defaults), :mod:`bot.config.validation` (the check of each value),
:mod:`bot.config.loading` (``config.yml`` and the environment, ``describe_settings``) and
:mod:`bot.config.deploy` (``check_deployable``).
"""

from __future__ import annotations

from bot.config.deploy import DEV_SECRET_KEY, ENV_VARIABLE, check_deployable
from bot.config.loading import DEFAULT_CONFIG_FILE, ENV_PREFIX, describe_settings, load_settings
from bot.config.schema import (
    RETENTION_KINDS,
    CodesSettings,
    DeclarationsSettings,
    FilingsSettings,
    JobsSettings,
    MetricsSettings,
    NluSettings,
    OpsSettings,
    RateLimitSettings,
    RetentionSettings,
    SealSettings,
    Settings,
    WechatSettings,
)
from bot.config.validation import MIN_SECRET_LENGTH

__all__ = ["DEFAULT_CONFIG_FILE", "DEV_SECRET_KEY", "ENV_PREFIX", "ENV_VARIABLE",
           "MIN_SECRET_LENGTH", "RETENTION_KINDS", "CodesSettings", "DeclarationsSettings",
           "FilingsSettings", "JobsSettings", "MetricsSettings", "NluSettings", "OpsSettings",
           "RateLimitSettings", "RetentionSettings", "SealSettings", "Settings",
           "WechatSettings", "check_deployable", "describe_settings", "load_settings"]
