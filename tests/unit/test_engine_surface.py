"""The engine's public surface (``reconciler.engine.__all__``) is the only way the CLI reaches the engine."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import reconciler.engine as engine

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / "reconciler" / "cli"
ENGINE_INIT = REPO / "reconciler" / "engine" / "__init__.py"


def _engine_imports(path: Path) -> list[tuple[int, str, tuple[str, ...]]]:
    """(line, module, names) of every import of the engine in ``path``, at any depth (functions, TYPE_CHECKING)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and (node.module == "reconciler.engine" or node.module.startswith("reconciler.engine.")):
            found.append((node.lineno, node.module, tuple(a.name for a in node.names)))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name, ()) for a in node.names if a.name.startswith("reconciler.engine")]
    return found


def test_the_cli_imports_only_the_engines_public_surface() -> None:
    wrong = []
    for path in sorted(CLI.glob("*.py")):
        for line, module, names in _engine_imports(path):
            where = f"{path.relative_to(REPO)}:{line}"
            if module != "reconciler.engine":
                wrong.append(f"{where}: imports {module}; import from reconciler.engine (add the name to its "
                             "__all__, _SURFACE and TYPE_CHECKING imports if it is not there)")
            wrong += [f"{where}: {n} is not in reconciler.engine.__all__" for n in names if n not in engine.__all__]
    assert not wrong, "\n".join(wrong)


def test_the_cli_uses_the_engine() -> None:  # the test above must see imports to mean anything
    assert sum(len(_engine_imports(p)) for p in CLI.glob("*.py")) >= 5


def _type_checking_names() -> dict[str, tuple[str, str]]:
    tree = ast.parse(ENGINE_INIT.read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    names = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.module is not None
        for alias in node.names:
            names[alias.asname or alias.name] = (node.module.removeprefix("reconciler.engine."), alias.name)
    return names


def test_all_the_lazy_table_and_the_typed_imports_agree() -> None:
    assert sorted(engine.__all__) == engine.__all__ and len(set(engine.__all__)) == len(engine.__all__)
    assert set(engine.__all__) == set(engine._SURFACE)
    assert _type_checking_names() == engine._SURFACE


def test_every_public_name_resolves_to_its_module() -> None:
    import importlib

    for name, (module, attribute) in engine._SURFACE.items():
        assert getattr(engine, name) is getattr(importlib.import_module(f"reconciler.engine.{module}"), attribute)
    assert set(engine.__all__) <= set(dir(engine))
    try:
        engine.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("an unknown name must raise AttributeError")


def test_importing_the_engine_loads_none_of_its_modules() -> None:
    code = "import sys, reconciler.engine; print(sorted(m for m in sys.modules if m.startswith('reconciler.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO).stdout
    assert out.strip() == "['reconciler.engine']"
