"""The check ``tongguan serve`` makes before serving: no committed development secret
outside a developer's machine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.config.loading import ENV_PREFIX
from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.config.schema import Settings


#: the secret committed in config.yml for development; a server refuses it elsewhere
DEV_SECRET_KEY = "dev-only-secret-change-me-0123456789abcdef"
ENV_VARIABLE = ENV_PREFIX + "ENV"  #: ``development`` lets a server start on the values above


def check_deployable(settings: Settings, env: Mapping[str, str] | None = None) -> None:
    """Refuse to serve on the committed development secret (or an empty one), or with an
    admin token that is the secret or the development secret, unless ``TONGGUAN_ENV`` is
    ``development`` (``make serve`` sets it).

    Raises:
        ConfigError: naming the setting and the environment variable to set.
    """
    env = os.environ if env is None else env
    if env.get(ENV_VARIABLE, "").strip().lower() == "development":
        return
    if not settings.secret_key or settings.secret_key == DEV_SECRET_KEY:
        raise ConfigError("secret_key", "is the committed development secret: set "
                          "TONGGUAN_SECRET_KEY (≥ 32 random characters), or "
                          f"{ENV_VARIABLE}=development on a developer's machine")
    if settings.admin_token and settings.admin_token in (settings.secret_key, DEV_SECRET_KEY):
        raise ConfigError("admin_token", "must not be the secret_key or the development "
                          "secret: set TONGGUAN_ADMIN_TOKEN to its own random value")
