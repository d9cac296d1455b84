"""The package layers of docs/ARCHITECTURE.md hold over the real imports (lazy and ``TYPE_CHECKING`` ones
included): import-linter's contracts in pyproject.toml, and no import cycle between any two modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint), "--no-cache", "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def _cycles(graph: grimp.ImportGraph) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_no_module_imports_itself_through_others() -> None:
    graph = grimp.build_graph("reconciler", cache_dir=None)
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The check above can fail: two modules importing each other are one cycle."""
    graph = grimp.ImportGraph()
    for name in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(name)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.a")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    assert _cycles(graph) == [{"pkg.a", "pkg.b"}]


def _third_party(graph: grimp.ImportGraph, package: str) -> set[str]:
    """The top-level names of what ``package`` imports from outside the reconciler and the standard library."""
    modules = graph.find_descendants(package) | {package}
    imported = {i for m in modules for i in graph.find_modules_directly_imported_by(m)}
    return {i.split(".")[0] for i in imported
            if not i.startswith("reconciler") and i.split(".")[0] not in sys.stdlib_module_names}


def test_the_emulator_needs_pyyaml_only_and_common_nothing() -> None:
    """Beside the contracts (which forbid the reconciler's own packages): the emulator runs on the standard
    library and PyYAML, and ``reconciler.common``, the leaf both sides import, on the standard library."""
    graph = grimp.build_graph("reconciler", include_external_packages=True, cache_dir=None)
    assert _third_party(graph, "reconciler.emulator") == {"yaml"}
    assert _third_party(graph, "reconciler.common") == set()
