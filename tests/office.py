"""Helpers of the production-office tests: calls through the API, a production and its date."""

from __future__ import annotations

from typing import Any

from conftest import NodeHarness
from factories import member_data, organisation_data, production_data, tour_date_data


def post(node: NodeHarness, url: str, data: Any, role: str = "staff", code: int = 201) -> Any:
    response = node.client.post(url, json=data, headers=node.headers(role))
    assert response.status_code == code, response.text
    return response.json()


def get(node: NodeHarness, url: str, role: str = "staff", **params: Any) -> Any:
    response = node.client.get(url, params=params, headers=node.headers(role))
    assert response.status_code == 200, response.text
    return response.json()


def patch(node: NodeHarness, url: str, data: Any, version: int, code: int = 200) -> Any:
    headers = {**node.headers("staff"), "If-Match": f'"{version}"'}
    response = node.client.patch(url, json=data, headers=headers)
    assert response.status_code == code, response.text
    return response.json()


def put(node: NodeHarness, url: str, data: Any, code: int = 200) -> Any:
    response = node.client.put(url, json=data, headers=node.headers("staff"))
    assert response.status_code == code, response.text
    return response.json()


def organisation(node: NodeHarness, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = post(node, "/api/organisations", organisation_data(**over))
    return body


def production(node: NodeHarness, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = post(node, "/api/productions", production_data(**over))
    return body


def member(node: NodeHarness, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = post(node, "/api/members", member_data(**over))
    return body


def tour_date(node: NodeHarness, production_id: str, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = post(node, "/api/tour-dates", tour_date_data(production_id, **over))
    return body
