"""The editable intent set: intents with their raw examples, plus synonyms, lookups and
regexes kept as they are. It reads and writes Rasa 3.x NLU YAML (one document), so a
version in the database is a file Rasa trains from, and ``intents/`` is its first version.

Examples stay raw (with Rasa's entity annotations such as ``[口罩](product)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.nlu.training import NluDataError, TrainingData, parse_training_text

_KINDS = ("synonym", "lookup", "regex")


@dataclass
class IntentSet:
    """Intents (name → raw examples, in order) and the other items of the NLU data."""

    intents: dict[str, list[str]] = field(default_factory=dict)
    #: (kind, name, items) for synonym / lookup / regex items, in file order
    extras: list[tuple[str, str, list[str]]] = field(default_factory=list)

    @classmethod
    def from_yaml(cls, text: str, path: str = "<nlu>") -> IntentSet:
        """Parse one NLU YAML document (checked first, so problems name the line)."""
        parse_training_text(text, path)
        doc = yaml.safe_load(text)
        out = cls()
        for item in doc["nlu"]:
            kind = next(k for k in ("intent", *_KINDS) if k in item)
            name = str(item[kind]).strip()
            lines = [line.strip()[1:].strip() for line in str(item["examples"]).splitlines()
                     if line.strip()]
            lines = [line for line in lines if line]
            if kind == "intent":
                out.intents.setdefault(name, []).extend(lines)
            else:
                out.extras.append((kind, name, lines))
        return out

    @classmethod
    def from_dir(cls, directory: Path | str) -> IntentSet:
        """``nlu.yml`` and ``nlu/*.yml`` of an intents folder, merged into one set."""
        directory = Path(directory)
        files = [directory / "nlu.yml"] if (directory / "nlu.yml").exists() else []
        if (directory / "nlu").is_dir():
            files += sorted((directory / "nlu").glob("*.yml"))
        if not files:
            raise NluDataError(directory, None, "no nlu.yml found")
        out = cls()
        for path in files:
            part = cls.from_yaml(path.read_text(encoding="utf-8"), str(path))
            for name, examples in part.intents.items():
                out.intents.setdefault(name, []).extend(examples)
            out.extras += part.extras
        return out

    def to_yaml(self) -> str:
        """Rasa 3.x NLU YAML with literal ``examples: |`` blocks."""
        lines = ['version: "3.1"', "nlu:"]
        items: list[tuple[str, str, list[str]]] = [
            ("intent", name, examples) for name, examples in self.intents.items()]
        for kind, name, examples in [*items, *self.extras]:
            lines.append(f"- {kind}: {_scalar(name)}")
            lines.append("  examples: |")
            lines += [f"    - {example}" for example in examples]
        return "\n".join(lines) + "\n"

    def training_data(self) -> TrainingData:
        """What the classifier trains on."""
        return parse_training_text(self.to_yaml())

    @property
    def example_count(self) -> int:
        return sum(len(examples) for examples in self.intents.values())

    def to_json(self) -> dict[str, Any]:
        return {"intents": [{"name": name, "examples": list(examples)}
                            for name, examples in self.intents.items()],
                "extras": [{"kind": kind, "name": name, "count": len(items)}
                           for kind, name, items in self.extras]}


def _scalar(text: str) -> str:
    """A YAML plain scalar when safe, else a quoted one."""
    dumped = yaml.safe_dump(text, allow_unicode=True, default_flow_style=True, width=10**6)
    return dumped.removesuffix("\n...\n").strip()


__all__ = ["IntentSet"]
