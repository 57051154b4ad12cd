"""Data flows one way: no module imports from a layer above its own (the README's architecture)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "lalert_sim"
# Layer of each top-level module or folder, lowest first; a module may import only from lower layers
# (and from its own folder). report and hil stand side by side and never import each other; the console
# builds on both.
LAYERS: dict[str, int] = {
    "errors": 0,
    "streams": 0,
    "atomic": 0,
    "tables": 1,
    "i18n": 1,
    "data": 0,
    "model": 2,
    "topology": 3,
    "prepare": 4,
    "engine": 5,
    "reach": 6,
    "analysis": 7,
    "runner": 8,
    "montecarlo": 9,
    "report": 10,
    "hil": 10,
    "console": 11,
    "cli": 12,
    "__init__": 13,
    "__main__": 13,
}


def _unit(path: Path) -> str:
    return path.relative_to(PACKAGE).with_suffix("").parts[0]


def _imported_units(path: Path) -> set[str]:
    units = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        units |= {name.split(".")[1] for name in names if name.startswith("lalert_sim.")}
    return units


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer() -> None:
    assert {_unit(path) for path in MODULES} <= set(LAYERS)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_imports_only_from_lower_layers(path: Path) -> None:
    unit = _unit(path)
    upward = sorted(other for other in _imported_units(path) - {unit} if LAYERS[other] >= LAYERS[unit])
    assert not upward, f"{path.relative_to(ROOT)} ({unit}, layer {LAYERS[unit]}) imports {upward}"
