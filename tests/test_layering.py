"""The packages import one way only: schemas ← federation ← node."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"schemas": {"node", "federation"}, "federation": {"node"}}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for item in ast.walk(tree):
        if isinstance(item, ast.Import):
            names.update(alias.name.split(".")[0] for alias in item.names)
        elif isinstance(item, ast.ImportFrom) and item.module and item.level == 0:
            names.add(item.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_the_layers_above_it(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from node.models import Member\nimport federation.log\n")
    assert imported_packages(sample) == {"node", "federation"}


NODE_MAY_IMPORT = {
    "federation.service",  # the facade, and the few types and reads the node needs
    "federation.registry",  # what the node shares and how it applies it
    "federation.errors",  # what federation raises
    "federation.columns",  # column types and naming shared by both sets of tables
}
"""Federation's public surface: the only federation modules the node may import."""


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, by its full name: `from a import b` imports `a.b` when
    `b` is a module of ours, else `a`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for item in ast.walk(tree):
        if isinstance(item, ast.Import):
            names.update(alias.name for alias in item.names)
        elif isinstance(item, ast.ImportFrom) and item.module and item.level == 0:
            folder = ROOT.joinpath(*item.module.split("."))
            for alias in item.names:
                is_module = (folder / f"{alias.name}.py").is_file() or (
                    folder / alias.name
                ).is_dir()
                names.add(f"{item.module}.{alias.name}" if is_module else item.module)
    return names


def outside_the_surface(path: Path) -> set[str]:
    """The federation modules `path` imports that are not on the node's allow-list."""
    return {
        name
        for name in imported_modules(path)
        if name.split(".")[0] == "federation" and name not in NODE_MAY_IMPORT
    }


def test_the_node_imports_only_federations_public_surface() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(outside_the_surface(path))
        for path in (ROOT / "node").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_surface_check_refuses_a_federation_module_outside_it(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import federation\n"
        "import federation.log\n"
        "from federation.models import FedPeer\n"
        "from federation import sync, service\n"
        "from federation.service import Federation\n"
        "from federation.registry import Registry\n"
        "def later() -> None:\n"
        "    from federation.peers import add_peer\n"
    )
    assert outside_the_surface(sample) == {
        "federation",
        "federation.log",
        "federation.models",
        "federation.sync",
        "federation.peers",
    }
