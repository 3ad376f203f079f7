"""Fixtures of the end-to-end tier: the shared line of real nodes, PostgreSQL schemas, logs.

The package-scoped `line` is three `archipel serve` processes in a line (see
`tests/e2e/nodes.py`), shared by the tier's tests: each test names its own members with a
fresh word and compares sets of ids, never absolute counts, so their order does not matter.
A failing test shows the tail of each of its nodes' logs; `record_property("e2e_…", value)`
figures are printed in the terminal summary.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import postgres_schemas
from tests.e2e.nodes import Line, Node, running_line

POSTGRES_ENV = "ARCHIPEL_TEST_POSTGRES_URL"


@pytest.fixture(scope="package")
def line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Line]:
    """The SQLite line the tests of this tier share (each test names its own members)."""
    with running_line(tmp_path_factory.mktemp("line")) as nodes:
        yield nodes


@pytest.fixture
def schemas_for_nodes() -> Iterator[Callable[[str], str]]:
    """Make one PostgreSQL schema per node (`url("lyon")`); all dropped afterwards."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostgreSQL not configured: set {POSTGRES_ENV} to run the line on it")
    with postgres_schemas(base, prefix="e2e") as make:
        yield make


@pytest.fixture
def postgres_line(tmp_path: Path, schemas_for_nodes: Callable[[str], str]) -> Iterator[Line]:
    """The same line on PostgreSQL, each node in its own schema."""
    with running_line(tmp_path, db_url=schemas_for_nodes) as nodes:
        yield nodes


def _nodes_in(item: pytest.Item) -> list[Node]:
    nodes: list[Node] = []
    for value in getattr(item, "funcargs", {}).values():
        if isinstance(value, Line):
            nodes.extend(value.nodes)
        elif isinstance(value, Node):
            nodes.append(value)
    return nodes


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failing test shows the tail of each of its nodes' `archipel serve` log."""
    report = yield
    if report.failed:
        for node in _nodes_in(item):
            report.sections.append((f"archipel serve log: {node.slug}", node.log_tail()))
    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the figures the tier measured (`record_property("e2e_…", value)`)."""
    figures = [
        (report.nodeid, name, value)
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", [])
        if name.startswith("e2e_")
    ]
    if figures:
        terminalreporter.section("end-to-end figures")
        for nodeid, name, value in figures:
            terminalreporter.write_line(f"{name.removeprefix('e2e_')}: {value}  ({nodeid})")
