"""Entity extraction from synonyms, lookup tables and annotated examples (longest match)."""

from __future__ import annotations

from bot.nlu.base import Entity
from bot.nlu.text import normalize, normalize_with_offsets
from bot.nlu.training import TrainingData

#: Measure words after a bare number mean a quantity (``84个``), not a product (``84``).
_MEASURE_WORDS = frozenset("个只片盒包瓶支件岁号块元米次天")


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class EntityMatcher:
    """Finds known surface forms in text; values come out after synonym mapping."""

    def __init__(self, forms: dict[str, tuple[str, str]], extractor: str = "builtin") -> None:
        self.extractor = extractor
        self._by_first: dict[str, list[tuple[str, str, str]]] = {}
        for form, (entity, value) in forms.items():
            if form:
                self._by_first.setdefault(form[0], []).append((form, entity, value))
        for candidates in self._by_first.values():
            candidates.sort(key=lambda c: -len(c[0]))

    @classmethod
    def from_training(cls, data: TrainingData) -> EntityMatcher:
        """Surface forms from lookups, synonyms and annotations, each typed by entity."""
        canonical = {v.lower(): v for v in data.synonyms.values()}

        def value_of(surface: str) -> str:
            key = surface.strip().lower()
            return data.synonyms.get(key) or canonical.get(key) or surface.strip()

        entity_of: dict[str, str] = {}
        forms: dict[str, tuple[str, str]] = {}
        for ex in data.examples:
            for span in ex.entities:
                value = value_of(span.value)
                entity_of.setdefault(value, span.entity)
                forms.setdefault(normalize(ex.text[span.start:span.end]), (span.entity, value))
        for name, entries in data.lookups.items():
            for entry in entries:
                entity_of.setdefault(value_of(entry), name)
                forms.setdefault(normalize(entry), (name, value_of(entry)))
        for variant, value in [*data.synonyms.items(), *((c, c) for c in canonical.values())]:
            if value in entity_of:
                forms.setdefault(normalize(variant), (entity_of[value], value))
        return cls(forms)

    def find(self, text: str, limit: int = 2000) -> list[Entity]:
        """Non-overlapping longest matches in ``text[:limit]`` with offsets into ``text``."""
        norm, offsets = normalize_with_offsets(text[:limit])
        found: list[Entity] = []
        i, size = 0, len(norm)
        while i < size:
            match = self._match_at(norm, i)
            if match is None:
                i += 1
                continue
            form, entity, value = match
            end = i + len(form)
            found.append(Entity(entity, value, offsets[i], offsets[end - 1] + 1, self.extractor))
            i = end
        return found

    def _match_at(self, norm: str, i: int) -> tuple[str, str, str] | None:
        for form, entity, value in self._by_first.get(norm[i], ()):
            end = i + len(form)
            if not norm.startswith(form, i):
                continue
            if _is_word_char(form[0]) and i > 0 and _is_word_char(norm[i - 1]):
                continue
            if _is_word_char(form[-1]) and end < len(norm) and _is_word_char(norm[end]):
                continue
            if form.isdigit() and norm[end:].lstrip()[:1] in _MEASURE_WORDS:
                continue
            return form, entity, value
        return None


__all__ = ["EntityMatcher"]
