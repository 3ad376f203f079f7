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


# Whole-document settings replaced by PUT, still without a version (issue #17, left): the
# office's profile, rates, templates and pay grid, a compliance mark, a contact hint.
UNVERSIONED = {
    ("put", "/api/office/profile"),
    ("put", "/api/office/employer-rates"),
    ("put", "/api/office/templates/{name}"),
    ("put", "/api/pay-grids"),
    ("put", "/api/tour-dates/{tour_date_id}/compliance/{duty}"),
    ("put", "/api/organisations/{organisation_id}/contact-hint"),
}


def test_every_update_route_takes_the_version_it_was_made_from(node: NodeHarness) -> None:
    """A PUT or PATCH takes `If-Match` or a `version` field (docs/api.md, concurrent edits)."""
    spec = _spec(node)
    missing = set()
    for path, operations in spec["paths"].items():
        for method in ("put", "patch"):
            operation = operations.get(method)
            if operation is None:
                continue
            names = {p["name"].lower() for p in operation.get("parameters", [])}
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            fields = _resolve(spec, body["schema"]).get("properties", {}) if body else {}
            if "if-match" not in names and "version" not in fields:
                missing.add((method, path))
    assert missing == UNVERSIONED


def test_the_three_updates_that_took_no_version_refuse_a_missing_or_stale_one(
    node: NodeHarness,
) -> None:
    """A date's day sheet, an engagement's payroll states and a production's numéro d'objet:
    428 without a version, 409 with a stale one, nothing changed."""
    from tests.office import get, member, post, production, tour_date

    staff = node.headers("staff")
    show = production(node)
    date = tour_date(node, show["id"])
    someone = member(node)
    row = post(
        node,
        f"/api/tour-dates/{date['id']}/engagements",
        {
            "member_id": someone["id"],
            "profession": "Artiste",
            "annexe": "I",
            "cachets": 1,
            "gross_pay": "200",
        },
    )
    cases = [
        (f"/api/tour-dates/{date['id']}/day-sheet", "put", {"accommodation": "Hôtel"}, 0),
        (
            f"/api/engagements/{row['id']}/states",
            "patch",
            {"dpae_sent_on": "2026-03-01"},
            row["version"],
        ),
        (
            f"/api/productions/{show['id']}/object-number",
            "put",
            {"object_number": "OBJ-9"},
            show["version"],
        ),
    ]
    for url, method, body, current in cases:
        send = getattr(node.client, method)
        missing = send(url, json=body, headers=staff)
        assert (missing.status_code, missing.json()["code"]) == (428, "version_required"), url
        stale = send(url, json={**body, "version": current + 5}, headers=staff)
        assert (stale.status_code, stale.json()["code"]) == (409, "version_conflict"), url
        done = send(url, json=body, headers={**staff, "If-Match": f'"{current}"'})
        assert done.status_code == 200, done.text
    assert get(node, f"/api/tour-dates/{date['id']}/day-sheet")["accommodation"] == "Hôtel"
    assert get(node, f"/api/engagements/{row['id']}")["dpae_sent_on"] == "2026-03-01"
