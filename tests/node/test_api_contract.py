"""The API keeps one contract everywhere (docs/api.md), checked over the whole OpenAPI document."""

from __future__ import annotations

from typing import Any

from conftest import NodeHarness

PAGE_FIELDS = {"items", "total", "limit", "offset", "next_offset"}


def _spec(node: NodeHarness) -> dict[str, Any]:
    spec: dict[str, Any] = node.client.get("/api/openapi.json").json()
    return spec


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _json_answers(spec: dict[str, Any], operation: dict[str, Any]) -> list[dict[str, Any]]:
    answers = []
    for status, response in operation.get("responses", {}).items():
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if status.startswith("2") and schema:
            answers.append(_resolve(spec, schema))
    return answers


def test_every_list_route_answers_a_page(node: NodeHarness) -> None:
    """A GET that answers a list answers `{items, total, limit, offset, next_offset}` and takes
    `limit` and `offset`, never a bare array."""
    spec = _spec(node)
    bare, unpaged = [], []
    for path, operations in spec["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        for schema in _json_answers(spec, operation):
            if schema.get("type") == "array":
                bare.append(path)
            elif set(schema.get("properties", {})) >= PAGE_FIELDS:
                names = {p["name"] for p in operation.get("parameters", [])}
                if not {"limit", "offset"} <= names:
                    unpaged.append(path)
    assert bare == [], f"lists answered as bare arrays: {bare}"
    assert unpaged == [], f"pages without limit/offset: {unpaged}"


def test_the_contract_check_sees_a_bare_list(node: NodeHarness) -> None:
    """The walk above recognises a bare array when it meets one (so it cannot pass vacuously)."""
    spec = _spec(node)
    answers = _json_answers(spec, spec["paths"]["/api/payroll/states"]["post"])
    assert [a.get("type") for a in answers] == ["array"]
