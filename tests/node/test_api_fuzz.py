"""Schema fuzzing of the local API: generated requests never get a 5xx, on both engines.

A bounded number of cases per operation runs here (`ARCHIPEL_FUZZ_EXAMPLES`, default 5);
`make fuzz` runs many more.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from conftest import NodeHarness

EXAMPLES = int(os.environ.get("ARCHIPEL_FUZZ_EXAMPLES", "5"))


def test_no_generated_request_gets_a_server_error(node: NodeHarness) -> None:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", node.app)
    headers = node.headers("admin")
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def no_server_error(case: Any) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.status_code} {response.text}"
            )

        no_server_error()
        checked += 1
    assert checked > 50  # every operation of the API was exercised
