"""The layout rules of docs/architecture.md: layers import only downward, no hidden imports, no cycles."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("evidencekg", "service")


def modules() -> dict[str, ast.Module]:
    """Every module of the library and the service, by dotted name, parsed."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def imported(tree: ast.Module, name: str) -> list[tuple[str, int, bool]]:
    """(module imported, line, at top level?) for every import of our own packages in a module."""
    top = {id(node) for node in tree.body}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            continue
        for target in targets:
            if target.split(".")[0] in PACKAGES:
                out.append((target, node.lineno, id(node) in top))
    return out


def test_no_function_level_imports_of_our_own_modules() -> None:
    """Every import of evidencekg.* / service.* is at module level, where the import rule can see it."""
    hidden = [
        f"{name}:{line} imports {target}"
        for name, tree in modules().items()
        for target, line, top in imported(tree, name)
        if not top
    ]
    assert hidden == []


def test_no_import_cycles() -> None:
    """The module import graph (all imports, wherever written) has no cycle."""
    trees = modules()
    graph = nx.DiGraph()
    for name, tree in trees.items():
        for target, _, _ in imported(tree, name):
            while target and target not in trees:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                graph.add_edge(name, target)
    cycles = list(nx.simple_cycles(graph))
    assert cycles == []


def test_the_library_never_imports_the_service() -> None:
    """service/ imports the library, never the reverse (the CLI finds the app through an entry point)."""
    offenders = [
        f"{name}:{line}"
        for name, tree in modules().items()
        if name.startswith("evidencekg")
        for target, line, _ in imported(tree, name)
        if target.startswith("service")
    ]
    assert offenders == []


def test_layers_contract_is_kept() -> None:
    """import-linter's layers contract (.importlinter) passes."""
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    result = subprocess.run([lint, "--config", str(ROOT / ".importlinter")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]


def test_every_subpackage_states_its_purpose() -> None:
    """Each subpackage's __init__ has a one-line docstring."""
    for init in sorted((ROOT / "evidencekg").glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and "\n" not in doc.strip(), init
