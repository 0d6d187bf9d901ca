"""Benchmark the NLU: the builtin against Rasa's DIET on sentences neither was trained on.

Prints, for the builtin: training time, accuracy on both held-out sets
(``tests/nlu/heldout.yml``, ``tests/nlu/blind.yml``), 5-fold cross-validation over
``intents/`` (leave-one-out would train ~900 models), and the parse time (p50/p99). With
``var/rasa-venv``
(``make rasa``) the same held-out sets go through a real ``rasa run`` trained with the full
pipeline of ``intents/config.yml`` (cached in ``var/rasa-models`` by hash; the first run
trains for a few minutes), and the ratio of the two. ``--no-rasa`` skips Rasa.

Run: ``.venv/bin/python bench/nlu.py [--no-rasa] [intents_dir]``
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.nlu.builtin import BuiltinInterpreter  # noqa: E402
from bot.nlu.evaluate import cross_validate  # noqa: E402

SETS = {"heldout": ROOT / "tests" / "nlu" / "heldout.yml",
        "blind": ROOT / "tests" / "nlu" / "blind.yml"}
#: DIET epochs of intents/config.yml (the bench trains the real thing)
FULL_EPOCHS = 100


def cases(path: Path) -> list[tuple[str, str]]:
    """(text, intent) pairs of a held-out file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(text, intent) for intent, texts in data.items() for text in texts]


def report(name: str, results: list[tuple[str, str, str]]) -> float:
    """Print accuracy and misses of (text, want, got); returns the accuracy."""
    wrong = [r for r in results if r[1] != r[2]]
    accuracy = 1 - len(wrong) / len(results)
    print(f"  {name}: {accuracy:.1%} of {len(results)}")
    for text, want, got in wrong:
        print(f"    {text!r}: want {want}, got {got}")
    return accuracy


def percentiles(seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    return (f"p50 {statistics.median(ms):.3f} ms, "
            f"p99 {ms[min(len(ms) - 1, int(len(ms) * 0.99))]:.3f} ms")


def bench_builtin(intents_dir: str) -> dict[str, float]:
    started = time.perf_counter()
    nlu = BuiltinInterpreter.from_dir(intents_dir)
    print(f"builtin: load+train {time.perf_counter() - started:.3f}s "
          f"(train {nlu.train_seconds:.3f}s, {len(nlu.data.examples)} examples)")
    out = {}
    for name, path in SETS.items():
        out[name] = report(name, [(t, w, nlu.parse_sync(t).intent.name)
                                  for t, w in cases(path)])
    cv = cross_validate(nlu.data, folds=5)
    print(f"  5-fold cross-validation: {cv.accuracy:.1%} ({cv.seconds:.2f}s)")
    print(f"  top confusions: {cv.confusions[:5]}")
    texts = [t for path in SETS.values() for t, _ in cases(path)]
    times = []
    for text in texts * 10:
        t0 = time.perf_counter()
        nlu.parse_sync(text)
        times.append(time.perf_counter() - t0)
    print(f"  parse: {percentiles(times)}")
    out["p50"] = statistics.median(times)
    return out


async def _rasa_parse(url: str, texts: list[str]) -> tuple[list[str], list[float]]:
    import aiohttp

    names, times = [], []
    async with aiohttp.ClientSession() as session:
        for text in texts:
            t0 = time.perf_counter()
            async with session.post(url + "/model/parse", json={"text": text}) as resp:
                body = await resp.json()
            times.append(time.perf_counter() - t0)
            names.append(body["intent"]["name"])
    return names, times


def bench_rasa() -> dict[str, float] | None:
    from tests.nlu.test_rasa_server import RASA, serve_rasa, trained_model

    if not RASA.exists():
        print(f"rasa: not measured ({RASA} missing: make rasa)")
        return None
    started = time.perf_counter()
    model = trained_model(FULL_EPOCHS, prefix="tongguan-bench")
    print(f"rasa DIET ({FULL_EPOCHS} epochs): model ready in "
          f"{time.perf_counter() - started:.0f}s (cached in var/rasa-models)")
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, serve_rasa(model, Path(tmp) / "rasa.log") as url:
        all_times: list[float] = []
        for name, path in SETS.items():
            pairs = cases(path)
            names, times = asyncio.run(_rasa_parse(url, [t for t, _ in pairs]))
            all_times += times
            out[name] = report(name, [(t, w, g) for (t, w), g in
                                      zip(pairs, names, strict=True)])
        print(f"  parse over HTTP: {percentiles(all_times)}")
        out["p50"] = statistics.median(all_times)
    return out


def main(argv: list[str]) -> None:
    rasa = "--no-rasa" not in argv
    args = [a for a in argv if a != "--no-rasa"]
    builtin = bench_builtin(args[0] if args else str(ROOT / "intents"))
    if not rasa:
        return
    other = bench_rasa()
    if other:
        for name in SETS:
            print(f"{name}: builtin {builtin[name]:.1%} vs rasa {other[name]:.1%} "
                  f"(difference {100 * (builtin[name] - other[name]):+.1f} points)")
        print(f"parse p50 ratio rasa/builtin: {other['p50'] / builtin['p50']:.0f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
