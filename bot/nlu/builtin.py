"""The builtin interpreter: trained from ``intents/`` at start-up, pure Python, no ML deps."""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from pathlib import Path

from bot.nlu.base import Entity, IntentScore, Interpreter, ParseResult
from bot.nlu.classifier import TfidfClassifier
from bot.nlu.entities import EntityMatcher
from bot.nlu.text import features, normalize
from bot.nlu.training import TrainingData, load_intents_dir

log = logging.getLogger("tongguan.nlu")

FALLBACK_INTENT = "nlu_fallback"
DEFAULT_THRESHOLD = 0.45
#: Characters of a message that are classified; the rest is ignored (caps the work).
MAX_CLASSIFY_CHARS = 500
#: Characters of a message searched for entities.
MAX_ENTITY_CHARS = 2000
#: Intents reported in ``intent_ranking`` (Rasa's default ranking_length).
RANKING_LENGTH = 10


#: Trained models kept per process by their data (tests and hubs opened again reuse them).
TRAINED_KEPT = 8
_TRAINED: dict[str, tuple[EntityMatcher, TfidfClassifier, float]] = {}


def _data_key(data: TrainingData) -> str:
    """A digest of everything training reads."""
    digest = hashlib.sha256(repr((
        [(ex.text, ex.intent, ex.entities) for ex in data.examples],
        sorted(data.synonyms.items()), sorted(data.lookups.items()),
        sorted(data.regexes.items()))).encode())
    return digest.hexdigest()


class BuiltinInterpreter(Interpreter):
    """Intent classification (:class:`TfidfClassifier`) plus synonym/lookup entities.

    Below ``threshold`` the top intent becomes ``nlu_fallback`` with confidence
    ``threshold``, inserted at the top of the kept ranking, as Rasa's FallbackClassifier does.
    """

    def __init__(self, data: TrainingData, *, threshold: float = DEFAULT_THRESHOLD,
                 classifier: TfidfClassifier | None = None) -> None:
        started = time.perf_counter()
        self.threshold = threshold
        self.data = data
        key = _data_key(data) if classifier is None else ""
        if key in _TRAINED:  # the same data in this process: share the trained parts
            self.matcher, self.classifier, self.train_seconds = _TRAINED[key]
            return
        self.matcher = EntityMatcher.from_training(data)
        docs = [self._features(ex.text) for ex in data.examples]
        self.classifier = (classifier or TfidfClassifier()).fit(
            docs, [ex.intent for ex in data.examples])
        #: Seconds spent training (entity forms + classifier).
        self.train_seconds = time.perf_counter() - started
        if key:
            while len(_TRAINED) >= TRAINED_KEPT:
                _TRAINED.pop(next(iter(_TRAINED)))
            _TRAINED[key] = (self.matcher, self.classifier, self.train_seconds)
        log.info("nlu.builtin.trained", extra={"examples": len(docs),
                                               "intents": len(self.classifier.labels),
                                               "seconds": round(self.train_seconds, 3)})

    @classmethod
    def from_dir(cls, directory: Path | str, *, threshold: float = DEFAULT_THRESHOLD
                 ) -> BuiltinInterpreter:
        """Train from ``directory/nlu.yml``; raises NluDataError for bad data."""
        return cls(load_intents_dir(directory), threshold=threshold)

    def adopt(self, other: BuiltinInterpreter) -> None:
        """Take ``other``'s trained model (hot swap): one synchronous step, so a parse on
        this event loop sees the old model or the new one, never a mix."""
        self.data, self.matcher, self.classifier, self.train_seconds = (
            other.data, other.matcher, other.classifier, other.train_seconds)

    @property
    def intents(self) -> list[str]:
        """Known intent names."""
        return list(self.classifier.labels)

    def _features(self, text: str, entities: list[Entity] | None = None) -> Counter[str]:
        feats = features(normalize(text[:MAX_CLASSIFY_CHARS]))
        if entities is None:
            entities = self.matcher.find(text, MAX_CLASSIFY_CHARS)
        for ent in entities:
            if ent.start < MAX_CLASSIFY_CHARS:
                feats["E:" + ent.entity] += 1
        return feats

    def parse_sync(self, text: str) -> ParseResult:
        """Parse one message; never raises (odd input falls back)."""
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        try:
            entities = self.matcher.find(text, MAX_ENTITY_CHARS)
            ranked = self.classifier.predict(self._features(text, entities))
        except Exception:  # noqa: BLE001 - a parse must never take a turn down
            log.exception("nlu.builtin.error")
            entities, ranked = [], []
        ranking = [IntentScore(name, conf) for name, conf in ranked[:RANKING_LENGTH]]
        if ranking and ranking[0].confidence >= self.threshold:
            top = ranking[0]
        else:
            top = IntentScore(FALLBACK_INTENT, self.threshold)
            ranking.insert(0, top)
        return ParseResult(text=text, intent=top, entities=tuple(entities),
                           intent_ranking=tuple(ranking))

    async def parse(self, text: str) -> ParseResult:
        """Async wrapper around :meth:`parse_sync` (it takes well under a millisecond)."""
        return self.parse_sync(text)


__all__ = ["FALLBACK_INTENT", "BuiltinInterpreter"]
