"""The contract every slot type meets, and the error a parser raises."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from bot.errors import TongguanError


class SlotParseError(TongguanError):
    """The answer does not fit the slot; ``zh`` / ``en`` tell the user why, briefly."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Answer:
    """What the user sent for a slot: text, or a shared location."""

    text: str = ""
    location: Mapping[str, Any] | None = None  #: {"lat", "lng", "label"}


@dataclass(frozen=True)
class ParseContext:
    """Everything a parser may look at besides the answer."""

    lang: str  #: "zh" or "en"
    now: datetime  #: timezone-aware current time (tests pass a fixed one)
    params: Mapping[str, Any] = field(default_factory=dict)  #: the slot's own settings


class SlotType(ABC):
    """A typed slot. Values are JSON-native (str, int, float, bool, list, dict)."""

    name: ClassVar[str]
    #: parameter names this type accepts in a flow file (besides the common ones)
    params: ClassVar[frozenset[str]] = frozenset()

    @abstractmethod
    def parse(self, answer: Answer, ctx: ParseContext) -> Any:
        """Turn an answer into a value.

        Raises:
            SlotParseError: the answer does not fit; the message says why.
        """

    def display(self, value: Any, lang: str, params: Mapping[str, Any]) -> str:
        """The value as the user should see it in a summary."""
        return str(value)

    def mask(self, value: Any, lang: str, params: Mapping[str, Any]) -> str:
        """The value with its identifying part hidden (stored profiles); default: ``display``."""
        return self.display(value, lang, params)

    def check_params(self, params: Mapping[str, Any]) -> list[str]:
        """Problems with a flow's parameters for this type (load-time validation)."""
        return []
