"""The package layout is the data flow: no package of tasks/ imports one above it, and only scheduling imports Airflow
(besides tasks/core/connections.py, the one door to Airflow's Connections and configuration).

Every import is read from the source (module level and inside functions alike), so a lazy import cannot hide an
upward arrow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TASKS = Path(__file__).resolve().parents[2] / "tasks"

# bottom to top, in the order data moves; a package may import its own rank or below
LAYERS = [
    "core", "standards", "catalogue", "notify",          # the floor
    "sources", "ingest", "validate", "review", "land",   # bytes in, checked, decided, landed
    "compute", "evaluate", "alert", "report",            # values, judgement, who is told, what is read
    "flow", "scheduling", "cli",                         # one run through the steps; Airflow; the command line
]
RANK = {name: i for i, name in enumerate(LAYERS)}
#: Plain data any layer may read: the sources' declarations (it imports nothing of tasks/ at module level).
DECLARATIONS = {"tasks.sources.spec"}


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "tasks" else None


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            if node.module == "tasks":  # `from tasks import sources` names a package
                found += [(node.lineno, f"tasks.{alias.name}") for alias in node.names]
    return found


def _modules() -> list[Path]:
    return sorted(p for p in TASKS.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_package_has_a_layer_and_says_its_job() -> None:
    packages = {p.name for p in TASKS.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(LAYERS), f"without a layer: {packages - set(LAYERS)}; gone: {set(LAYERS) - packages}"
    for name in LAYERS:
        doc = ast.get_docstring(ast.parse((TASKS / name / "__init__.py").read_text()))
        assert doc and len(doc) > 20, f"tasks/{name}/__init__.py should say the package's job in one sentence"
    loose = [p.name for p in TASKS.glob("*.py") if p.name != "__init__.py"]
    assert not loose, f"modules outside a package: {loose}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(TASKS)))
def test_no_package_imports_one_above_it(path: Path) -> None:
    own = path.relative_to(TASKS).parts[0]
    if own not in RANK:
        return  # tasks/__init__.py
    upward = [(line, module) for line, module in _imports(path)
              if (target := _package(module)) in RANK and RANK[target] > RANK[own] and module not in DECLARATIONS]
    assert not upward, f"tasks/{path.relative_to(TASKS)} ({own}) imports above itself: {upward}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(TASKS)))
def test_only_scheduling_imports_airflow(path: Path) -> None:
    if path.relative_to(TASKS).parts[0] == "scheduling" or path == TASKS / "core" / "connections.py":
        return
    airflow = [(line, module) for line, module in _imports(path) if module.split(".")[0] == "airflow"]
    assert not airflow, f"tasks/{path.relative_to(TASKS)} imports Airflow: {airflow}"


def test_the_declarations_any_layer_reads_import_nothing_above_the_floor() -> None:
    for module in DECLARATIONS:
        path = TASKS.parent / (module.replace(".", "/") + ".py")
        above = [(line, m) for line, m in _imports(path) if (p := _package(m)) in RANK and RANK[p] > RANK["core"]]
        assert not above, f"{module} is read by every layer, so it may import only tasks.core: {above}"


def test_the_layer_test_catches_an_upward_import(tmp_path: Path) -> None:
    """The check itself can fail: a compute module that imports the flow is found."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from tasks.flow import pipeline\n    return pipeline\n")
    assert [(line, m) for line, m in _imports(bad)] == [(2, "tasks.flow")]
    assert RANK[_package("tasks.flow.pipeline")] > RANK["compute"]
