"""Benchmark the builtin NLU: training time, leave-one-out and held-out accuracy, latency.

Run: ``.venv/bin/python bench/nlu.py [intents_dir]``
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.nlu.builtin import BuiltinInterpreter  # noqa: E402
from bot.nlu.training import TrainingData, load_intents_dir  # noqa: E402

HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"


def heldout_cases() -> list[tuple[str, str]]:
    """(text, intent) pairs from tests/nlu/heldout.yml."""
    data = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))
    return [(text, intent) for intent, texts in data.items() for text in texts]


def leave_one_out(data: TrainingData) -> tuple[float, Counter[tuple[str, str]]]:
    """Accuracy when each example is classified by a model trained without it."""
    hits = 0
    errors: Counter[tuple[str, str]] = Counter()
    for i, ex in enumerate(data.examples):
        rest = TrainingData(data.examples[:i] + data.examples[i + 1:], data.synonyms,
                            data.lookups, data.regexes)
        got = BuiltinInterpreter(rest, threshold=0.0).parse_sync(ex.text).intent.name
        hits += got == ex.intent
        if got != ex.intent:
            errors[(ex.intent, got)] += 1
    return hits / len(data.examples), errors


def main(intents_dir: str = str(ROOT / "intents")) -> None:
    started = time.perf_counter()
    nlu = BuiltinInterpreter.from_dir(intents_dir)
    print(f"load+train: {time.perf_counter() - started:.3f}s "
          f"(train {nlu.train_seconds:.3f}s, {len(nlu.data.examples)} examples)")
    cases = heldout_cases()
    results = [(text, want, nlu.parse_sync(text).intent.name) for text, want in cases]
    wrong = [r for r in results if r[1] != r[2]]
    print(f"held-out: {1 - len(wrong) / len(cases):.1%} of {len(cases)}")
    for text, want, got in wrong:
        print(f"  {text!r}: want {want}, got {got}")
    loo, errors = leave_one_out(load_intents_dir(intents_dir))
    print(f"leave-one-out: {loo:.1%}; top confusions: {errors.most_common(5)}")
    started = time.perf_counter()
    for text, _ in cases * 10:
        nlu.parse_sync(text)
    per = (time.perf_counter() - started) / (len(cases) * 10)
    print(f"parse latency: {per * 1000:.3f} ms")


if __name__ == "__main__":
    main(*sys.argv[1:])
