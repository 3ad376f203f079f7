"""A pytest plugin for `make reliability`: writes the suite's outcome and figures as JSON.

Loaded with `-p tests.reliability`. At the end of the run it writes, to
`ARCHIPEL_RELIABILITY_RESULTS` (default `var/reliability/results.json`), every test's outcome
and every figure the tests recorded with `record_property("e2e_…", value)` (cycles, lost,
duplicated, delays), and prints the figures and the counts of outcomes.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import pytest

RESULTS_ENV = "ARCHIPEL_RELIABILITY_RESULTS"
DEFAULT_RESULTS = Path("var/reliability/results.json")

_outcomes: dict[str, str] = {}
_figures: dict[str, dict[str, Any]] = {}
_started = time.time()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or (report.when == "setup" and not report.passed):
        _outcomes[report.nodeid] = report.outcome
    for name, value in report.user_properties:
        if report.when == "call" and name.startswith("e2e_"):
            _figures.setdefault(report.nodeid, {})[name.removeprefix("e2e_")] = value


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    counts = _outcomes_count()
    results = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(_started)),
        "seconds": round(time.time() - _started, 1),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "settings": {
            name: os.environ[name]
            for name in ("ARCHIPEL_RELIABILITY_CYCLES", "ARCHIPEL_FUZZ_EXAMPLES")
            if name in os.environ
        },
        "postgresql": bool(os.environ.get("ARCHIPEL_TEST_POSTGRES_URL")),
        "exit_status": int(exitstatus),
        "outcomes": counts,
        "figures": _figures,
        "tests": _outcomes,
    }
    path = Path(os.environ.get(RESULTS_ENV) or DEFAULT_RESULTS)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    terminalreporter.section("reliability figures")
    for nodeid, figures in _figures.items():
        line = ", ".join(f"{k} {v}" for k, v in figures.items())
        terminalreporter.write_line(f"{nodeid.split('::')[-1]}: {line}")
    path = os.environ.get(RESULTS_ENV) or DEFAULT_RESULTS
    terminalreporter.write_line(f"outcomes: {_outcomes_count()}; written to {path}")


def _outcomes_count() -> dict[str, int]:
    counts: dict[str, int] = {}
    for outcome in _outcomes.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
