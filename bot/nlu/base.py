"""The interpreter interface and Rasa's parse shape."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Entity:
    """An entity found in the text, as Rasa reports it."""

    entity: str
    value: Any
    start: int
    end: int
    extractor: str = "builtin"

    def to_dict(self) -> dict[str, Any]:
        return {"entity": self.entity, "value": self.value, "start": self.start,
                "end": self.end, "extractor": self.extractor}


@dataclass(frozen=True)
class IntentScore:
    """An intent name with its confidence (0..1)."""

    name: str
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "confidence": round(float(self.confidence), 4)}


@dataclass(frozen=True)
class ParseResult:
    """Rasa's ``/model/parse`` answer: text, intent, entities, intent_ranking."""

    text: str
    intent: IntentScore
    entities: tuple[Entity, ...] = ()
    intent_ranking: tuple[IntentScore, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "intent": self.intent.to_dict(),
            "entities": [e.to_dict() for e in self.entities],
            "intent_ranking": [i.to_dict() for i in self.intent_ranking],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParseResult:
        intent = data.get("intent") or {}
        return cls(
            text=data.get("text", ""),
            intent=IntentScore(intent.get("name") or "nlu_fallback",
                               float(intent.get("confidence") or 0.0)),
            entities=tuple(
                Entity(e["entity"], e.get("value"), int(e.get("start", 0)),
                       int(e.get("end", 0)), e.get("extractor", "rasa"))
                for e in data.get("entities") or ()
            ),
            intent_ranking=tuple(
                IntentScore(i["name"], float(i.get("confidence", 0.0)))
                for i in data.get("intent_ranking") or ()
            ),
        )


class Interpreter(ABC):
    """Turns a message into intent and entities. The built-in one and Rasa implement it."""

    @abstractmethod
    async def parse(self, text: str) -> ParseResult:
        """Parse one message; never raises for odd text (empty, emoji, 10k chars)."""

    async def close(self) -> None:  # noqa: B027 - optional hook, no-op by default
        """Release resources (HTTP sessions)."""
