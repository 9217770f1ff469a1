"""The use cases in `bot/services/` form a directed graph with no cycles.

Each module is parsed with `ast` (nothing is imported), so a cycle hidden
behind a function-local import counts as much as one at the top of a file:
a use case that needs another one imports it where everyone can see it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "bot" / "services"
PACKAGE = "bot.services"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in sorted(SERVICES.rglob("*.py"))}


def _imports(tree: ast.AST, module: str, *, is_package: bool) -> Iterator[tuple[ast.stmt, str]]:
    """Every module named by an import statement anywhere in `tree`, relative ones resolved."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                # `from bot.services import ledger` names a module; `from x import f`, a name in x.
                named = f"{target}.{alias.name}"
                yield node, named if named in MODULES else target


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets = {t for _, t in _imports(tree, module, is_package=path.name == "__init__.py")}
        graph[module] = {t for t in targets if t in MODULES and t != module and t != PACKAGE}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, as the modules along it, or None (depth-first, three colours)."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        path.append(node)
        for nxt in sorted(graph[node]):
            if nxt in path:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in done and (found := visit(nxt)):
                return found
        path.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done and (found := visit(start)):
            return found
    return None


def test_the_graph_sees_the_use_cases() -> None:
    graph = _graph()
    assert "bot.services.decisions" in graph
    assert "bot.services.actors" in graph["bot.services.decisions"]


def test_a_cycle_is_found() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_use_cases_import_each_other_without_cycles() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_no_use_case_imports_bot_modules_inside_a_function() -> None:
    """A function-local import hides a dependency (and usually a cycle)."""
    found = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node, target in _imports(function, module, is_package=path.name == "__init__.py"):
                if target == "bot" or target.startswith("bot."):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} in {function.name}()")
    assert sorted(set(found)) == []
