"""YAML loading that remembers where every mapping, key and list item was written."""

from __future__ import annotations

from typing import Any, TypeGuard

import yaml


class LineMap(dict[Any, Any]):
    """A YAML mapping with ``line`` (its first line) and ``key_lines`` (key → line)."""

    line: int = 0
    key_lines: dict[Any, int]


class LineList(list[Any]):
    """A YAML sequence with ``line`` and ``item_lines`` (the line of each item)."""

    line: int = 0
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineMap:
    mapping = LineMap(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, _ in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            mapping.key_lines.setdefault(loader.construct_object(key_node),
                                         key_node.start_mark.line + 1)
    return mapping


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    sequence = LineList(loader.construct_sequence(node, deep=True))
    sequence.line = node.start_mark.line + 1
    sequence.item_lines = [item.start_mark.line + 1 for item in node.value]
    return sequence


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class NestingError(yaml.YAMLError):
    """The document refers to itself (an alias inside its own anchor) or nests too deeply."""


MAX_NODES = 100_000  #: values in a document once aliases are expanded ("billion laughs")


def load_with_lines(text: str) -> Any:
    """Parse YAML safely; mappings are :class:`LineMap`, sequences :class:`LineList`.

    Raises:
        yaml.YAMLError: not YAML, or (:class:`NestingError`) a cycle or too deep / too big.
    """
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise NestingError("the document nests too deeply") from None
    problem = _graph_problem(data)
    if problem:
        raise NestingError(problem)
    return data


def _children(value: dict[Any, Any] | list[Any]) -> list[Any]:
    return list(value.values()) if isinstance(value, dict) else value


def _graph_problem(data: Any) -> str | None:
    """A cycle, or too many values with aliases expanded; iterative, linear in the graph."""
    entered: set[int] = set()
    size: dict[int, int] = {}
    todo: list[tuple[Any, bool]] = [(data, False)]
    while todo:
        value, leaving = todo.pop()
        if not isinstance(value, dict | list):
            continue
        key = id(value)
        if leaving:
            size[key] = 1 + sum(size.get(id(c), 1) for c in _children(value))
            if size[key] > MAX_NODES:
                return f"the document expands to more than {MAX_NODES} values"
        elif key in size:
            continue
        elif key in entered:
            return "an alias (*name) is used inside its own anchor (&name)"
        else:
            entered.add(key)
            todo.append((value, True))
            todo.extend((c, False) for c in _children(value))
    return None


def line_of(node: Any, default: int) -> int:
    """The line a mapping or sequence starts on, else ``default``."""
    return node.line if isinstance(node, LineMap | LineList) and node.line else default


def item_line(sequence: Any, index: int, default: int) -> int:
    """The line of item ``index`` of a sequence, else ``default``."""
    if isinstance(sequence, LineList) and index < len(sequence.item_lines):
        return sequence.item_lines[index]
    return line_of(sequence, default)


def key_line(node: Any, key: str, default: int) -> int:
    """The line of ``key`` in a mapping, else the mapping's line, else ``default``."""
    if isinstance(node, LineMap):
        return node.key_lines.get(key) or line_of(node, default)
    return default


def strip_lines(value: Any) -> Any:
    """The same data as plain dicts and lists (no line bookkeeping)."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value


def kind_of(value: Any) -> str:
    """How a YAML value reads to an admin, for messages ("a list", "a number"…)."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    names = {dict: "a mapping", list: "a list", str: "text", int: "a number", float: "a number"}
    return next((n for t, n in names.items() if isinstance(value, t)), type(value).__name__)


def key_names(keys: Any) -> list[str]:
    """Mapping keys as sorted text (YAML keys may be numbers, dates, null…)."""
    return sorted(str(k) for k in keys)


def is_name(value: Any) -> TypeGuard[str]:
    """Text usable as an id or slot name: letters, digits and _."""
    return isinstance(value, str) and value.isidentifier()


def is_text(value: Any) -> TypeGuard[str]:
    """Non-blank text."""
    return isinstance(value, str) and bool(value.strip())
