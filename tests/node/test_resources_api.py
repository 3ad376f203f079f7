"""The resources API: create, read, list with filters, update with versions, share, delete."""

from __future__ import annotations

from typing import Any

from conftest import NodeHarness
from factories import member_data, record_publications, resource_data

URL = "/api/resources"


def _resource(node: NodeHarness, **over: Any) -> dict[str, Any]:
    response = node.client.post(URL, json=resource_data(**over), headers=node.headers("staff"))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_staff_creates_a_resource_and_reads_it_back(node: NodeHarness) -> None:
    created = node.client.post(URL, json=resource_data(), headers=node.headers("staff"))
    assert created.status_code == 201
    assert created.headers["ETag"] == '"1"'
    read = node.client.get(created.headers["Location"], headers=node.headers("staff")).json()
    assert read["name"] == "Console Yamaha QL1"
    assert read["kind"] == "equipment"
    assert read["lendable"] is True


def test_invalid_input_names_each_field_at_fault(node: NodeHarness) -> None:
    response = node.client.post(
        URL,
        json={"name": " ", "kind": "boat", "lendable": "often", "owner": "me"},
        headers=node.headers("staff"),
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"body.name", "body.kind", "body.lendable", "body.owner"}


def test_list_filters_ignore_accents_and_case(node: NodeHarness) -> None:
    _resource(node)
    _resource(
        node,
        name="Trafic 9 places",
        kind="vehicle",
        description="Minibus",
        location="Vénissieux",
        lendable=False,
    )
    _resource(node, name="Salle de répétition", kind="room", description="Parquet, 120 m²")
    staff = node.headers("staff")

    def names(**params: str) -> list[str]:
        page = node.client.get(URL, params=params, headers=staff).json()
        return [r["name"] for r in page["items"]]

    assert names(q="REPETITION") == ["Salle de répétition"]
    assert names(q="venissieux") == ["Trafic 9 places"]
    assert names(q="numerique console") == ["Console Yamaha QL1"]
    assert names(kind="vehicle") == ["Trafic 9 places"]
    assert names(lendable="true") == ["Console Yamaha QL1", "Salle de répétition"]
    bad = node.client.get(URL, params={"kind": "boat"}, headers=staff)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.kind"


def test_list_paginates(node: NodeHarness) -> None:
    for i in range(5):
        _resource(node, name=f"R{i}")
    page = node.client.get(
        URL, params={"limit": 3, "offset": 0}, headers=node.headers("staff")
    ).json()
    assert [r["name"] for r in page["items"]] == ["R0", "R1", "R2"]
    assert page["next_offset"] == 3


def test_update_needs_the_version_and_refuses_a_stale_one(node: NodeHarness) -> None:
    staff = node.headers("staff")
    url = f"{URL}/{_resource(node)['id']}"
    assert node.client.patch(url, json={"location": "Lyon"}, headers=staff).status_code == 428
    ok = node.client.patch(url, json={"location": "Lyon"}, headers={**staff, "If-Match": '"1"'})
    assert ok.status_code == 200
    assert ok.json()["version"] == 2
    stale = node.client.patch(url, json={"location": "Vienne", "version": 1}, headers=staff)
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    bad_etag = node.client.patch(url, json={"location": "X"}, headers={**staff, "If-Match": "*"})
    assert bad_etag.status_code == 400


def test_lending_shares_the_resource_and_withdrawing_tombstones_it(node: NodeHarness) -> None:
    recorder = record_publications(node.app.state.sessions)
    staff = node.headers("staff")
    resource = _resource(node, lendable=False)
    assert recorder.of(resource["id"])[-1].body is None
    url = f"{URL}/{resource['id']}"
    node.client.patch(url, json={"lendable": True, "version": 1}, headers=staff)
    assert recorder.of(resource["id"])[-1].body is not None
    assert node.client.delete(url, headers={**staff, "If-Match": '"2"'}).status_code == 204
    assert recorder.of(resource["id"])[-1].body is None
    assert node.client.get(url, headers=staff).status_code == 404
    trail = node.client.get("/api/audit", params={"entity_id": resource["id"]}, headers=staff)
    assert [e["action"] for e in trail.json()["items"]] == ["delete", "update", "create"]


def test_members_read_but_do_not_write_and_strangers_are_refused(node: NodeHarness) -> None:
    staff = node.headers("staff")
    member_id = node.client.post("/api/members", json=member_data(), headers=staff).json()["id"]
    member = node.as_member(member_id)
    url = f"{URL}/{_resource(node)['id']}"
    assert node.client.get(URL, headers=member).status_code == 200
    assert node.client.get(url, headers=member).status_code == 200
    assert node.client.post(URL, json=resource_data(), headers=member).status_code == 403
    patched = node.client.patch(url, json={"name": "X", "version": 1}, headers=member)
    assert patched.status_code == 403
    assert node.client.delete(url, headers=member).status_code == 403
    assert node.client.get(URL).status_code == 401
    assert node.client.delete(url).status_code == 401
