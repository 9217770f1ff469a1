"""Layering: the Slack stand-in (`standin/`) serves the tests and the demo; it is not part of seatbot.

The product packages never import it; the one exception is the demo run mode
(`bot/runtime/demo.py`), which the CLI imports only inside the `demo` command. The stand-in
knows nothing of seatbot either, and its own tests (`tests/standin/`) test it alone.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).parents[1]
PRODUCT = ("bot", "handlers", "storage", "templates")
MAY_IMPORT_THE_STANDIN = frozenset({Path("bot/runtime/demo.py")})


def _modules(*packages: str) -> list[Path]:
    found = sorted(path.relative_to(ROOT) for package in packages for path in (ROOT / package).rglob("*.py"))
    assert found, f"no module found under {packages}"
    return found


def _imported(path: Path) -> Iterator[tuple[int, str]]:
    return _imports_in((ROOT / path).read_text(encoding="utf-8"), filename=str(path))


def _imports_in(source: str, filename: str = "<source>") -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import in `source`, wherever it is (top level,
    inside a function, under TYPE_CHECKING) and however it is written (`import x`,
    `from x import y`, `importlib.import_module("x")`, `__import__("x")`)."""
    tree = ast.parse(source, filename=filename)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                yield node.lineno, node.module
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
        ):
            yield node.lineno, node.args[0].value


def _is_in(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == package or module.startswith(f"{package}.") for package in packages)


def test_the_walk_sees_imports_however_written() -> None:
    source = """
import standin.a
from standin.b import x
from . import c
def lazy():
    from standin import d
    importlib.import_module("standin.e")
    __import__("standin.f")
"""
    assert {name for _, name in _imports_in(source)} == {
        "standin.a",
        "standin.b",
        "standin",
        "standin.e",
        "standin.f",
    }


def test_the_cli_imports_the_demo_only_inside_its_demo_command() -> None:
    tree = ast.parse((ROOT / "bot/runtime/cli.py").read_text(encoding="utf-8"))
    top_level = {
        name for node in tree.body for _, name in _imports_in(ast.unparse(node)) if not _is_function(node)
    }
    (demo,) = (node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "demo")
    assert "bot.runtime.demo" not in top_level
    assert "bot.runtime.demo" in {name for _, name in _imports_in(ast.unparse(demo))}


def _is_function(node: ast.stmt) -> bool:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)


def _offending(
    packages: tuple[str, ...],
    forbidden: tuple[str, ...],
    allowed: tuple[str, ...] = (),
    exempt: frozenset[Path] = frozenset(),
) -> str:
    return "\n".join(
        f"{path}:{line}: imports {name}"
        for path in _modules(*packages)
        if path not in exempt
        for line, name in _imported(path)
        if _is_in(name, forbidden) and not _is_in(name, allowed)
    )


def test_product_modules_do_not_import_the_standin() -> None:
    offending = _offending(PRODUCT, forbidden=("standin",), exempt=MAY_IMPORT_THE_STANDIN)
    assert not offending, f"seatbot must not depend on the Slack stand-in:\n{offending}"


def test_the_standin_does_not_import_seatbot() -> None:
    offending = _offending(("standin",), forbidden=(*PRODUCT, "tests"))
    assert not offending, f"the Slack stand-in stands alone:\n{offending}"


def test_the_standin_tests_test_the_standin_alone() -> None:
    offending = _offending(("tests/standin",), forbidden=(*PRODUCT, "tests"), allowed=("tests.standin",))
    assert not offending, f"tests of seatbot belong outside tests/standin/:\n{offending}"


def test_running_seatbot_does_not_load_the_standin() -> None:
    probe = (
        "import sys, bot.runtime.cli, bot.runtime.app, bot.runtime.server, bot.runtime.socket_mode, "
        "bot.runtime.jobs; print('standin' in sys.modules)"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    assert loaded.stdout.strip() == "False", loaded.stdout + loaded.stderr


def test_the_demo_loads_the_standin() -> None:
    """The other side of the exception: the probe above would notice the stand-in if it were loaded."""
    probe = "import sys, bot.runtime.demo; print('standin' in sys.modules)"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    assert loaded.stdout.strip() == "True", loaded.stdout + loaded.stderr


# The product's layers, top to bottom: what each package may import of seatbot. A lower
# layer never reaches up: the domain knows no use case, a use case no message or Slack
# call, a message no sender, and a listener no database (it hands a use case to its turn).
MAY_IMPORT: dict[str, tuple[str, ...]] = {
    "bot.domain": ("bot.domain", "storage.models"),
    "bot.services": ("bot.domain", "bot.services", "storage"),
    "bot.messages": ("bot.domain", "bot.services", "bot.messages", "templates", "storage.models"),
    "bot.slack": ("bot.domain", "bot.services", "bot.messages", "bot.slack", "storage.models"),
    "bot.delivery": (
        "bot.domain",
        "bot.services",
        "bot.messages",
        "bot.slack",
        "bot.delivery",
        "storage",
    ),
    "handlers": ("bot.domain", "bot.services", "bot.messages", "bot.slack", "bot.runtime", "handlers"),
}
SEATBOT = ("bot", "handlers", "storage", "templates", "standin")
NO_SLACK_BELOW = ("bot.domain", "bot.services")  # use cases are Slack-free (STYLE, practice 3)
NO_DATABASE_IN = ("handlers",)


def _module_name(path: Path) -> str:
    return ".".join(path.with_suffix("").parts).removesuffix(".__init__")


def test_each_layer_imports_only_the_layers_below_it() -> None:
    broken = []
    for layer, allowed in MAY_IMPORT.items():
        for path in _modules(layer.replace(".", "/")):
            for line, module in _imported(path):
                if _is_in(module, SEATBOT) and not _is_in(module, allowed):
                    broken.append(f"{path}:{line} ({layer}) imports {module}")
    assert broken == []


def test_use_cases_know_no_slack_and_listeners_no_database() -> None:
    broken = []
    for layer in NO_SLACK_BELOW:
        for path in _modules(layer.replace(".", "/")):
            broken += [
                f"{path}:{line} imports {module}"
                for line, module in _imported(path)
                if _is_in(module, ("slack_sdk", "slack_bolt"))
            ]
    for layer in NO_DATABASE_IN:
        for path in _modules(layer):
            broken += [
                f"{path}:{line} imports {module}"
                for line, module in _imported(path)
                if _is_in(module, ("storage", "sqlmodel", "sqlalchemy"))
            ]
    assert broken == []


def test_the_root_of_bot_holds_only_its_layers() -> None:
    modules = sorted(p.name for p in (ROOT / "bot").glob("*.py"))
    packages = sorted(p.name for p in (ROOT / "bot").iterdir() if (p / "__init__.py").exists())
    assert modules == ["__init__.py", "__main__.py"]
    assert packages == ["delivery", "domain", "messages", "runtime", "services", "slack"]
