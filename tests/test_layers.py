"""The import rules of docs/architecture.md, checked from the source.

The graph is module-level: every ``import``/``from … import`` anywhere in a module counts,
including those under ``if TYPE_CHECKING:`` and inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "codes")


def _modules() -> dict[str, Path]:
    mods: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            rel = path.relative_to(ROOT).with_suffix("")
            if "versions" in rel.parts and "migrations" in rel.parts:
                continue  # Alembic revision scripts are data, loaded by file name
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            mods[".".join(parts)] = path
    return mods


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in MODULES else target)
    resolved = {_resolve(name) for name in found}
    return {name for name in resolved if name is not None and name != module}


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _within(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


#: (importer packages, forbidden packages, why)
RULES = [
    (("codes",), ("bot",), "codes/ is a standalone library"),
    (("bot.dialogue", "bot.services", "bot.db", "bot.nlu", "bot.messages", "bot.conditions"),
     ("bot.channels", "bot.web", "bot.cli"), "nothing below the channels imports them"),
    (("bot.services", "bot.db"), ("bot.dialogue", "bot.nlu"),
     "services and db know nothing of the dialogue"),
    (("bot.db",), ("bot.services",), "db is the bottom layer"),
]


def test_the_graph_is_read() -> None:
    """The reader itself works: known edges are found (guards against a broken parser)."""
    assert "bot.messages" in GRAPH["bot.dialogue.engine"]
    assert "codes" in MODULES and len(MODULES) > 100


def test_no_import_cycles() -> None:
    assert _cycles(GRAPH) == []


@pytest.mark.parametrize(("importers", "forbidden", "why"), RULES)
def test_layers_point_one_way(importers: tuple[str, ...], forbidden: tuple[str, ...],
                              why: str) -> None:
    bad = sorted(f"{m} → {d}" for m, deps in GRAPH.items() if _within(m, *importers)
                 for d in deps if _within(d, *forbidden))
    assert bad == [], why


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
