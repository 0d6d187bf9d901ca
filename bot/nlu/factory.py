"""Build the configured interpreter from settings."""

from __future__ import annotations

from bot.config import Settings
from bot.errors import ConfigError
from bot.nlu.base import Interpreter
from bot.nlu.builtin import BuiltinInterpreter


def build_interpreter(settings: Settings) -> Interpreter:
    """``nlu.backend: builtin`` → :class:`BuiltinInterpreter` trained from ``intents_dir``;
    ``rasa`` → :class:`RasaHttpInterpreter` on ``nlu.rasa_url`` with the builtin as fallback.

    Raises:
        ConfigError: ``rasa`` without ``nlu.rasa_url``, or an unknown backend.
        NluDataError: the training data in ``intents_dir`` is malformed.
    """
    nlu = settings.nlu
    if nlu.backend not in ("builtin", "rasa"):
        raise ConfigError("nlu.backend", "must be builtin or rasa")
    if nlu.backend == "rasa" and not nlu.rasa_url.strip():
        raise ConfigError("nlu.rasa_url", "required when nlu.backend is rasa")
    builtin = BuiltinInterpreter.from_dir(settings.intents_dir, threshold=nlu.threshold)
    if nlu.backend == "builtin":
        return builtin
    from bot.nlu.rasa_http import RasaHttpInterpreter

    return RasaHttpInterpreter(nlu.rasa_url, builtin, timeout=nlu.timeout)


__all__ = ["build_interpreter"]
