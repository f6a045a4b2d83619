"""Imports point down the layers (STYLE.md: the shape of the house). Every module of the package
is given a layer, and no import, at module level or inside a function, may reach a higher one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "vaultledger"
# Lowest first. A module belongs to the first entry whose name is it or a package above it.
LAYERS: list[tuple[str, ...]] = [
    ("vaultledger.errors", "vaultledger._digest", "vaultledger._faults", "vaultledger._localzone", "vaultledger._fs", "vaultledger._imports", "vaultledger.settings", "vaultledger.periods", "vaultledger.progress"),
    ("vaultledger.record",),
    ("vaultledger.capture", "vaultledger.otel", "vaultledger.litellm"),
    ("vaultledger.pricing",),
    ("vaultledger.ledger",),
    ("vaultledger.notes", "vaultledger.budgets", "vaultledger.reports"),
    ("vaultledger.watch", "vaultledger.schedule", "vaultledger.ops", "vaultledger.cli", "vaultledger.__main__"),
]
FACADE = "vaultledger"  # __init__: the public names and __version__, importable from anywhere
MAX_MODULE_LINES, MAX_CLASS_LINES = 400, 150
# Modules still over the limit, each held at its size until it is split (never let one grow).
OVERSIZED: dict[str, int] = {}
OVERSIZED_CLASSES: dict[str, int] = {}


def layer_of(module: str) -> int:
    if module == FACADE:
        return 2  # it re-exports capture's names
    for rank, names in enumerate(LAYERS):
        if any(module == name or module.startswith(name + ".") for name in names):
            return rank
    raise AssertionError(f"{module} has no layer in tests/test_layers.py: give it one")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
    return {name for name in found if name.startswith("vaultledger")}


def upward_imports(source: str, module: str, is_package: bool = False) -> list[str]:
    mine = layer_of(module)
    return [f"{module} (layer {mine}) imports {target} (layer {layer_of(target)})"
            for target in sorted(imported_modules(source, module, is_package))
            if target != FACADE and layer_of(target) > mine]


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_imports_point_down_the_layers(path: Path) -> None:
    module = module_name(path)
    assert upward_imports(path.read_text(encoding="utf-8"), module, path.name == "__init__.py") == []


def test_a_deliberate_upward_import_is_caught() -> None:
    assert upward_imports("from vaultledger.notes.write import update_note\n", "vaultledger.ledger.cache")
    assert upward_imports("def f():\n    import vaultledger.cli\n", "vaultledger.ledger")
    assert not upward_imports("from vaultledger.record import UsageRecord\n", "vaultledger.ledger")


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_no_module_over_400_lines_and_no_class_over_150(path: Path) -> None:
    """STYLE.md's sizes; the few modules still over them may shrink but never grow."""
    source = path.read_text(encoding="utf-8")
    limit = OVERSIZED.get(path.relative_to(PACKAGE).as_posix(), MAX_MODULE_LINES)
    assert len(source.splitlines()) <= limit, f"{path.name} has {len(source.splitlines())} lines"
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            assert length <= OVERSIZED_CLASSES.get(node.name, MAX_CLASS_LINES), f"class {node.name} has {length} lines"
