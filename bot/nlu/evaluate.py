"""Cross-validation of the builtin classifier: per-intent precision, recall, F1, confusions.

Folds are stratified and deterministic (the i-th example of an intent goes to fold
``i % folds``), so the same data always gives the same report. Each fold trains a builtin
without its examples and classifies them with no fallback threshold (the matrix shows
which intent won, not whether it was confident).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from html import escape
from typing import Any

from bot.nlu.builtin import BuiltinInterpreter
from bot.nlu.training import Example, TrainingData


@dataclass(frozen=True)
class IntentScores:
    """One intent's figures over every fold."""

    name: str
    precision: float
    recall: float
    f1: float
    support: int

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4),
                "support": self.support}


@dataclass
class CrossValidation:
    """The report: ``matrix[i][j]`` counts examples of ``labels[i]`` classified ``labels[j]``."""

    folds: int
    labels: list[str]
    matrix: list[list[int]]
    intents: list[IntentScores] = field(default_factory=list)
    seconds: float = 0.0
    #: the worst mix-ups: (true intent, predicted intent, count), most first
    confusions: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        total = sum(map(sum, self.matrix))
        return sum(self.matrix[i][i] for i in range(len(self.labels))) / total if total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"folds": self.folds, "accuracy": round(self.accuracy, 4),
                "seconds": round(self.seconds, 3), "labels": self.labels,
                "matrix": self.matrix, "intents": [i.to_dict() for i in self.intents],
                "confusions": [{"intent": a, "predicted": b, "count": n}
                               for a, b, n in self.confusions]}


def _folds(examples: list[Example], folds: int) -> list[int]:
    seen: dict[str, int] = {}
    out = []
    for ex in examples:
        n = seen.get(ex.intent, 0)
        seen[ex.intent] = n + 1
        out.append(n % folds)
    return out


def cross_validate(data: TrainingData, folds: int = 5) -> CrossValidation:
    """Stratified ``folds``-fold cross-validation of the builtin on ``data``."""
    started = time.perf_counter()
    labels = data.intents
    index = {name: i for i, name in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    assignment = _folds(data.examples, folds)
    for fold in range(folds):
        train = [ex for ex, f in zip(data.examples, assignment, strict=True) if f != fold]
        test = [ex for ex, f in zip(data.examples, assignment, strict=True) if f == fold]
        if not test or not train:
            continue
        model = BuiltinInterpreter(TrainingData(train, data.synonyms, data.lookups,
                                                data.regexes), threshold=0.0)
        for ex in test:
            got = model.parse_sync(ex.text).intent.name
            matrix[index[ex.intent]][index.get(got, index[ex.intent])] += 1
    scores = []
    for i, name in enumerate(labels):
        tp = matrix[i][i]
        predicted = sum(row[i] for row in matrix)
        actual = sum(matrix[i])
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores.append(IntentScores(name, precision, recall, f1, actual))
    confusions = sorted(((labels[i], labels[j], matrix[i][j]) for i in range(len(labels))
                         for j in range(len(labels)) if i != j and matrix[i][j]),
                        key=lambda c: -c[2])
    return CrossValidation(folds, labels, matrix, scores, time.perf_counter() - started,
                           confusions[:10])


def confusion_svg(report: CrossValidation, *, title: str = "") -> str:
    """The confusion matrix as a standalone SVG (rows: true intent, columns: predicted)."""
    n = len(report.labels)
    cell, left, top = 26, 150, 150
    width, height = left + n * cell + 20, top + n * cell + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11" '
             f'role="img" aria-label="confusion matrix">',
             f"<title>{escape(title or 'confusion matrix')}</title>"]
    for i, name in enumerate(report.labels):
        y = top + i * cell + cell / 2 + 4
        x = left + i * cell + cell / 2 + 4
        parts.append(f'<text x="{left - 6}" y="{y}" text-anchor="end">{escape(name)}</text>')
        parts.append(f'<text x="{x}" y="{top - 6}" transform="rotate(-60 {x} {top - 6})">'
                     f"{escape(name)}</text>")
    for i, row in enumerate(report.matrix):
        total = sum(row) or 1
        for j, count in enumerate(row):
            share = count / total
            if i == j:
                fill = f"rgba(30,130,76,{0.15 + 0.85 * share:.2f})"
            elif count:
                fill = f"rgba(200,40,40,{min(1.0, 0.2 + 2 * share):.2f})"
            else:
                fill = "#f4f4f4"
            x, y = left + j * cell, top + i * cell
            parts.append(f'<rect x="{x}" y="{y}" width="{cell - 1}" height="{cell - 1}" '
                         f'fill="{fill}"><title>{escape(report.labels[i])} → '
                         f"{escape(report.labels[j])}: {count}</title></rect>")
            if count:
                colour = "#fff" if share > 0.5 else "#111"
                parts.append(f'<text x="{x + cell / 2}" y="{y + cell / 2 + 4}" '
                             f'text-anchor="middle" fill="{colour}">{count}</text>')
    parts.append(f'<text x="{left}" y="{height - 12}">rows: true intent · columns: '
                 f"predicted · {report.folds}-fold, accuracy {report.accuracy:.1%}</text>")
    parts.append("</svg>")
    return "\n".join(parts)


__all__ = ["CrossValidation", "IntentScores", "confusion_svg", "cross_validate"]
