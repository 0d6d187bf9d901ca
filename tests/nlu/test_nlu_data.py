"""intents/nlu.yml loads, is big enough, and malformed data is reported with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.nlu.training import (
    EntitySpan,
    NluDataError,
    load_intents_dir,
    load_training_data,
    parse_example,
)

from .conftest import INTENTS_DIR, heldout_cases

REQUIRED = ("declare_health", "show_code", "reserve_supply", "my_reservations",
            "file_resumption", "filing_status", "greet", "help", "cancel", "human_handoff",
            "affirm", "deny", "out_of_scope", "my_data", "delete_my_data")


MIN_PER_LANGUAGE = 25


def is_chinese(text: str) -> bool:
    """A Chinese example has a Han character; any other example counts as English."""
    return any("\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" for c in text)


def test_every_required_intent_has_25_examples_per_language() -> None:
    groups = load_intents_dir(INTENTS_DIR).by_intent()
    counts = {intent: (sum(is_chinese(e.text) for e in groups.get(intent, [])),
                       sum(not is_chinese(e.text) for e in groups.get(intent, [])))
              for intent in REQUIRED}
    short = {i: c for i, c in counts.items() if min(c) < MIN_PER_LANGUAGE}
    assert not short, f"(zh, en) examples below {MIN_PER_LANGUAGE}: {short}"


def test_examples_mix_chinese_and_english() -> None:
    for intent, examples in load_intents_dir(INTENTS_DIR).by_intent().items():
        assert any(is_chinese(e.text) for e in examples), intent
        assert any(e.text.isascii() for e in examples), intent


def test_no_example_is_repeated() -> None:
    seen: dict[str, str] = {}
    repeated = []
    for ex in load_intents_dir(INTENTS_DIR).examples:
        key = " ".join(ex.text.lower().split())
        if key in seen:
            repeated.append((ex.text, seen[key], ex.intent))
        seen[key] = ex.intent
    assert not repeated, repeated


def test_is_chinese() -> None:
    assert is_chinese("亮码") and is_chinese("OK的") and is_chinese("给我看下ＱＲ码")
    assert not is_chinese("show my code") and not is_chinese("ＱＲ ｃｏｄｅ")


def test_synonyms_and_districts() -> None:
    data = load_intents_dir(INTENTS_DIR)
    assert data.synonyms["口罩"] == "mask-adult"
    assert data.synonyms["n95"] == "mask-adult"
    assert data.synonyms["儿童口罩"] == "mask-child"
    assert data.synonyms["84"] == "disinfectant"
    assert data.synonyms["酒精"] == "disinfectant"
    districts = {data.synonyms.get(d.lower(), d.lower()) for d in data.lookups["district"]}
    assert len(districts) == 13  # Wuhan's, the demo city's
    assert {"jiangan", "wuchang", "hongshan", "huangpi", "xinzhou"} <= districts


def test_annotations_become_spans() -> None:
    data = load_intents_dir(INTENTS_DIR)
    ex = next(e for e in data.examples if e.text == "预约口罩")
    assert ex.intent == "reserve_supply"
    assert ex.entities == (EntitySpan("product", "口罩", 2, 4),)
    assert "[" not in "".join(e.text for e in data.examples)


def test_heldout_phrasings_are_not_training_examples() -> None:
    texts = {e.text.strip().lower() for e in load_intents_dir(INTENTS_DIR).examples}
    cases = heldout_cases()
    assert len(cases) >= 60
    assert not [t for t, _ in cases if t.strip().lower() in texts]
    assert {i for _, i in cases} == set(REQUIRED)


@pytest.mark.parametrize(("raw", "text", "span"), [
    ("买[口罩](product)", "买口罩", EntitySpan("product", "口罩", 1, 3)),
    ("get [N95](product:mask-adult) now", "get N95 now",
     EntitySpan("product", "mask-adult", 4, 7)),
    ('in [武昌]{"entity": "district", "value": "wuchang"}', "in 武昌",
     EntitySpan("district", "wuchang", 3, 5)),
])
def test_parse_example_forms(raw: str, text: str, span: EntitySpan) -> None:
    ex = parse_example(raw, "x")
    assert ex.text == text
    assert ex.entities == (span,)
    assert ex.text[span.start:span.end] in raw


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "nlu.yml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize(("body", "line", "fragment"), [
    ('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n- intent: empty\n',
     6, "'empty' has no examples"),
    ('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n    oops\n',
     6, "must start with '- '"),
    ('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n\n- intent: x\n  examples: |\n'
     '    - a\n', 4, "'greet' has no examples"),
    ('nlu:\n- intent: [a, b]\n  examples: |\n    - hi\n', 2, "intent must be"),
    ('nlu:\n- examples: |\n    - hi\n', 2, "exactly one of"),
    ('nlu:\n- intent: greet\n  examples: |\n    - [hi]{"entity": }\n', 4, "entity JSON"),
    ('nlu: [\n', 2, "not valid YAML"),
])
def test_malformed_data_names_file_and_line(tmp_path: Path, body: str, line: int,
                                            fragment: str | None) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(NluDataError) as err:
        load_training_data(path)
    assert err.value.line == line
    assert f"{path}:{line}" in str(err.value)
    if fragment:
        assert fragment in str(err.value)


def test_missing_nlu_file(tmp_path: Path) -> None:
    with pytest.raises(NluDataError, match="no nlu.yml"):
        load_intents_dir(tmp_path)


def test_data_is_plain_yaml() -> None:
    data = yaml.safe_load((INTENTS_DIR / "nlu.yml").read_text(encoding="utf-8"))
    assert data["version"] == "3.1"
    config = yaml.safe_load((INTENTS_DIR / "config.yml").read_text(encoding="utf-8"))
    assert config["language"] == "zh"
    names = [step["name"] for step in config["pipeline"]]
    assert names[0] == "JiebaTokenizer" and "DIETClassifier" in names
    fallback = next(s for s in config["pipeline"] if s["name"] == "FallbackClassifier")
    assert fallback["threshold"] == 0.45
