"""Load Rasa 3.x NLU training data (``intents/nlu.yml``) without Rasa.

The file is read with PyYAML's safe loader (composed to nodes, so every problem
names its file and line). Examples keep Rasa's entity annotations
(``[口罩](product)``, ``[x](product:value)``, ``[x]{"entity": "product", "value": "v"}``)
as spans over the stripped text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.errors import TongguanError

_ANNOTATION = re.compile(r"\[(?P<text>[^\[\]]+)\](?:\((?P<short>[^()]+)\)|(?P<json>\{[^{}]*\}))")
_SECTION_KEYS = ("intent", "synonym", "lookup", "regex")


class NluDataError(TongguanError):
    """Training data is missing or malformed; the message names file and line."""

    def __init__(self, path: Path | str, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"nlu data: {where}: {problem}")
        self.path = str(path)
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class EntitySpan:
    """An annotated entity in an example: ``text[start:end]`` is the surface form."""

    entity: str
    value: str
    start: int
    end: int


@dataclass(frozen=True)
class Example:
    """One training example with annotations stripped."""

    text: str
    intent: str
    entities: tuple[EntitySpan, ...] = ()
    line: int = 0


@dataclass
class TrainingData:
    """Everything in one nlu.yml: examples, synonyms (variant → value), lookups, regexes."""

    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)
    lookups: dict[str, list[str]] = field(default_factory=dict)
    regexes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def intents(self) -> list[str]:
        """Intent names in file order."""
        return list(dict.fromkeys(e.intent for e in self.examples))

    def by_intent(self) -> dict[str, list[Example]]:
        """Examples grouped by intent."""
        groups: dict[str, list[Example]] = {}
        for ex in self.examples:
            groups.setdefault(ex.intent, []).append(ex)
        return groups


def parse_example(raw: str, intent: str, *, path: Path | str = "<text>",
                  line: int = 0) -> Example:
    """Strip Rasa entity annotations from ``raw`` and keep them as spans."""
    out: list[str] = []
    spans: list[EntitySpan] = []
    pos = 0
    length = 0
    for m in _ANNOTATION.finditer(raw):
        out.append(raw[pos:m.start()])
        length += m.start() - pos
        surface = m.group("text")
        if m.group("json"):
            try:
                meta = json.loads(m.group("json"))
            except json.JSONDecodeError:
                raise NluDataError(path, line, f"bad entity JSON {m.group('json')!r}") from None
            if not isinstance(meta, dict) or not isinstance(meta.get("entity"), str):
                raise NluDataError(path, line, "entity JSON needs an \"entity\" name")
            entity, value = meta["entity"], str(meta.get("value", surface))
        else:
            entity, _, value = m.group("short").partition(":")
            value = value or surface
        if not entity.strip():
            raise NluDataError(path, line, f"entity annotation {m.group(0)!r} has no name")
        spans.append(EntitySpan(entity.strip(), value, length, length + len(surface)))
        out.append(surface)
        length += len(surface)
        pos = m.end()
    out.append(raw[pos:])
    return Example("".join(out), intent, tuple(spans), line)


def _scalar(node: yaml.Node, path: Path, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise NluDataError(path, node.start_mark.line + 1, f"{what} must be a non-empty text")
    return str(node.value).strip()


def _items(node: yaml.Node, path: Path, what: str) -> list[tuple[str, int]]:
    """The ``- item`` lines of an ``examples: |`` block, each with its file line."""
    if isinstance(node, yaml.ScalarNode) and not str(node.value).strip():
        raise NluDataError(path, node.start_mark.line + 1, f"{what} has no examples")
    text = _scalar(node, path, f"examples of {what}")
    block = isinstance(node, yaml.ScalarNode) and node.style in ("|", ">")
    first = node.start_mark.line + (2 if block else 1)
    items: list[tuple[str, int]] = []
    for offset, raw in enumerate(text.splitlines()):
        stripped = raw.strip()
        if not stripped:
            continue
        line = first + offset
        if not stripped.startswith("-"):
            raise NluDataError(path, line, f"example of {what} must start with '- '")
        item = stripped[1:].strip()
        if item:
            items.append((item, line))
    if not items:
        raise NluDataError(path, node.start_mark.line + 1, f"{what} has no examples")
    return items


def load_training_data(path: Path | str) -> TrainingData:
    """Read one Rasa nlu.yml file; raise :class:`NluDataError` naming file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise NluDataError(path, None, f"cannot read ({err.strerror or err})") from None
    return parse_training_text(text, path)


def parse_training_text(text: str, path: Path | str = "<nlu>") -> TrainingData:
    """Parse Rasa NLU YAML ``text``; problems name ``path`` and the line."""
    path = Path(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise NluDataError(path, mark.line + 1 if mark else None, "not valid YAML") from None
    if not isinstance(root, yaml.MappingNode):
        raise NluDataError(path, None, "must be a mapping with an 'nlu:' list")
    top = {k.value: v for k, v in root.value}
    nlu = top.get("nlu")
    if not isinstance(nlu, yaml.SequenceNode):
        raise NluDataError(path, root.start_mark.line + 1, "needs an 'nlu:' list")
    data = TrainingData()
    for item in nlu.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            raise NluDataError(path, line, "each nlu item must be a mapping")
        fields = {k.value: v for k, v in item.value}
        kinds = [k for k in _SECTION_KEYS if k in fields]
        if len(kinds) != 1:
            raise NluDataError(path, line, "item needs exactly one of intent, synonym, "
                                            "lookup, regex")
        kind = kinds[0]
        name = _scalar(fields[kind], path, kind)
        if "examples" not in fields:
            raise NluDataError(path, line, f"{kind} {name!r} has no examples")
        items = _items(fields["examples"], path, f"{kind} {name!r}")
        if kind == "intent":
            data.examples.extend(parse_example(raw, name, path=path, line=n) for raw, n in items)
        elif kind == "synonym":
            for raw, _ in items:
                data.synonyms[raw.lower()] = name
        else:
            target = data.lookups if kind == "lookup" else data.regexes
            target.setdefault(name, []).extend(raw for raw, _ in items)
    if not data.examples:
        raise NluDataError(path, None, "has no intent examples")
    return data


def load_intents_dir(directory: Path | str) -> TrainingData:
    """Load ``nlu.yml`` (and any ``nlu/*.yml``) from an intents folder."""
    directory = Path(directory)
    files = [directory / "nlu.yml"] if (directory / "nlu.yml").exists() else []
    files += sorted((directory / "nlu").glob("*.yml")) if (directory / "nlu").is_dir() else []
    if not files:
        raise NluDataError(directory, None, "no nlu.yml found")
    merged = TrainingData()
    for f in files:
        part = load_training_data(f)
        merged.examples += part.examples
        merged.synonyms.update(part.synonyms)
        for name, values in part.lookups.items():
            merged.lookups.setdefault(name, []).extend(values)
        for name, values in part.regexes.items():
            merged.regexes.setdefault(name, []).extend(values)
    return merged


__all__ = ["EntitySpan", "Example", "NluDataError", "TrainingData", "load_intents_dir",
           "load_training_data", "parse_example", "parse_training_text"]
