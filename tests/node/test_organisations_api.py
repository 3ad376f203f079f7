"""The organisations and contacts API: the address book, its filters, versions, roles, deletion."""

from __future__ import annotations

from typing import Any

from conftest import NodeHarness
from factories import (
    contact_data,
    member_data,
    organisation_data,
    production_data,
    record_publications,
    tour_date_data,
)

URL = "/api/organisations"


def _post(node: NodeHarness, url: str, data: dict[str, Any]) -> dict[str, Any]:
    response = node.client.post(url, json=data, headers=node.headers("staff"))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_staff_creates_an_organisation_and_reads_it_back(node: NodeHarness) -> None:
    created = node.client.post(
        URL,
        json=organisation_data(
            licence_number="  PLATESV-R-2021-001234 ",
            tags=["création", " Création ", "jeune public"],
            website="https://theatre.example.org",
        ),
        headers=node.headers("staff"),
    )
    assert created.status_code == 201
    assert created.headers["ETag"] == '"1"'
    read = node.client.get(created.headers["Location"], headers=node.headers("staff")).json()
    assert read["name"] == "Théâtre de la Croix-Rousse"
    assert read["licence_number"] == "PLATESV-R-2021-001234"
    assert read["tags"] == ["création", "jeune public"]
    assert read["website"].startswith("https://theatre.example.org")
    assert read["is_venue"] is True


def test_invalid_input_names_each_field_at_fault(node: NodeHarness) -> None:
    response = node.client.post(
        URL,
        json={"name": "", "kind": "cinéma", "email": "nope", "website": "ftp:/x", "x": 1},
        headers=node.headers("staff"),
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"body.name", "body.kind", "body.email", "body.website", "body.x"} <= fields


def test_list_filters_ignore_accents_and_case(node: NodeHarness) -> None:
    _post(node, URL, organisation_data())
    _post(
        node,
        URL,
        organisation_data(
            name="Festival des Arts de la Rue",
            kind="festival",
            city="Saint-Étienne",
            tags=["plein air"],
            is_venue=False,
        ),
    )
    _post(node, URL, organisation_data(name="Le Périscope", kind="smac", city="Lyon", tags=[]))
    staff = node.headers("staff")

    def names(**params: str) -> list[str]:
        page = node.client.get(URL, params=params, headers=staff).json()
        return [o["name"] for o in page["items"]]

    assert names(q="theatre croix") == ["Théâtre de la Croix-Rousse"]
    assert names(q="PLEIN AIR") == ["Festival des Arts de la Rue"]
    assert names(q="saint-etienne") == ["Festival des Arts de la Rue"]
    assert names(city="saint-etienne") == ["Festival des Arts de la Rue"]
    assert names(city="LYON") == ["Le Périscope", "Théâtre de la Croix-Rousse"]
    assert names(kind="smac") == ["Le Périscope"]
    assert names(is_venue="false") == ["Festival des Arts de la Rue"]


def test_list_paginates(node: NodeHarness) -> None:
    for i in range(5):
        _post(node, URL, organisation_data(name=f"O{i}"))
    page = node.client.get(
        URL, params={"limit": 2, "offset": 4}, headers=node.headers("staff")
    ).json()
    assert [o["name"] for o in page["items"]] == ["O4"]
    assert page["total"] == 5
    assert page["next_offset"] is None


def test_update_needs_the_version_and_refuses_a_stale_one(node: NodeHarness) -> None:
    staff = node.headers("staff")
    url = f"{URL}/{_post(node, URL, organisation_data())['id']}"
    assert node.client.patch(url, json={"phone": "04"}, headers=staff).status_code == 428
    ok = node.client.patch(url, json={"email": None, "version": 1}, headers=staff)
    assert ok.status_code == 200
    assert ok.json()["email"] == ""
    stale = node.client.patch(url, json={"phone": "04"}, headers={**staff, "If-Match": '"1"'})
    assert stale.status_code == 409
    nulls = node.client.patch(url, json={"name": None, "version": 2}, headers=staff)
    assert nulls.status_code == 400
    assert nulls.json()["errors"][0]["field"] == "body.name"


def test_contacts_are_created_listed_updated_and_deleted(node: NodeHarness) -> None:
    staff = node.headers("staff")
    org = _post(node, URL, organisation_data())
    contacts_url = f"{URL}/{org['id']}/contacts"
    helene = node.client.post(contacts_url, json=contact_data(), headers=staff)
    assert helene.status_code == 201
    assert helene.json()["organisation_id"] == org["id"]
    _post(node, contacts_url, contact_data(name="Anne Bérard", email=None))
    page = node.client.get(contacts_url, headers=staff).json()
    assert [c["name"] for c in page["items"]] == ["Anne Bérard", "Hélène Roux"]
    url = helene.headers["Location"]
    assert node.client.patch(url, json={"role": "directrice"}, headers=staff).status_code == 428
    updated = node.client.patch(url, json={"role": "directrice", "version": 1}, headers=staff)
    assert updated.json()["role"] == "directrice"
    stale = node.client.patch(url, json={"role": "x", "version": 1}, headers=staff)
    assert stale.status_code == 409
    assert node.client.delete(url, headers=staff).status_code == 204
    assert node.client.get(url, headers=staff).status_code == 404
    trail = node.client.get("/api/audit", params={"entity": "contact"}, headers=staff).json()
    assert all("Hélène" not in e["summary"] for e in trail["items"])


def test_contacts_of_an_unknown_organisation_are_a_404(node: NodeHarness) -> None:
    staff = node.headers("staff")
    assert node.client.get(f"{URL}/nope/contacts", headers=staff).status_code == 404
    posted = node.client.post(f"{URL}/nope/contacts", json=contact_data(), headers=staff)
    assert posted.status_code == 404


def test_members_read_but_do_not_write_and_strangers_are_refused(node: NodeHarness) -> None:
    staff = node.headers("staff")
    member_id = node.client.post("/api/members", json=member_data(), headers=staff).json()["id"]
    member = node.as_member(member_id)
    org = _post(node, URL, organisation_data())
    contact = _post(node, f"{URL}/{org['id']}/contacts", contact_data())
    assert node.client.get(URL, headers=member).status_code == 200
    assert node.client.get(f"/api/contacts/{contact['id']}", headers=member).status_code == 200
    assert node.client.post(URL, json=organisation_data(), headers=member).status_code == 403
    refused = node.client.post(f"{URL}/{org['id']}/contacts", json=contact_data(), headers=member)
    assert refused.status_code == 403
    patched = node.client.patch(
        f"/api/contacts/{contact['id']}", json={"role": "x", "version": 1}, headers=member
    )
    assert patched.status_code == 403
    assert node.client.delete(f"{URL}/{org['id']}", headers=member).status_code == 403
    assert node.client.get(URL).status_code == 401
    assert node.client.get(f"/api/contacts/{contact['id']}").status_code == 401


def test_deleting_a_venue_unlinks_and_republishes_its_dates(node: NodeHarness) -> None:
    recorder = record_publications(node.app.state.sessions)
    staff = node.headers("staff")
    venue = _post(node, URL, organisation_data())
    contact = _post(node, f"{URL}/{venue['id']}/contacts", contact_data())
    production = _post(node, "/api/productions", production_data())
    date = _post(node, "/api/tour-dates", tour_date_data(production["id"], venue_id=venue["id"]))
    first = recorder.of(date["id"])[-1].body
    assert first is not None
    assert first["venue_name"] == venue["name"]
    assert node.client.delete(f"{URL}/{venue['id']}", headers=staff).status_code == 204
    assert node.client.get(f"/api/contacts/{contact['id']}", headers=staff).status_code == 404
    kept = node.client.get(f"/api/tour-dates/{date['id']}", headers=staff).json()
    assert kept["venue_id"] is None
    assert kept["city"] == "Valence"
    assert kept["version"] == 2
    republished = recorder.of(date["id"])[-1]
    assert republished.body is not None
    assert republished.body["venue_name"] == ""
    assert republished.version == 2
    assert recorder.of(venue["id"])[-1].body is None


def test_renaming_a_venue_republishes_its_dates(node: NodeHarness) -> None:
    recorder = record_publications(node.app.state.sessions)
    venue = _post(node, URL, organisation_data())
    production = _post(node, "/api/productions", production_data())
    date = _post(node, "/api/tour-dates", tour_date_data(production["id"], venue_id=venue["id"]))
    node.client.patch(
        f"{URL}/{venue['id']}",
        json={"name": "TNP", "version": 1},
        headers=node.headers("staff"),
    )
    latest = recorder.of(date["id"])[-1]
    assert latest.body is not None
    assert latest.body["venue_name"] == "TNP"


def test_an_organisation_that_is_no_venue_is_not_shared(node: NodeHarness) -> None:
    recorder = record_publications(node.app.state.sessions)
    org = _post(node, URL, organisation_data(is_venue=False))
    assert recorder.of(org["id"])[-1].body is None
    node.client.patch(
        f"{URL}/{org['id']}", json={"is_venue": True, "version": 1}, headers=node.headers("staff")
    )
    shared = recorder.of(org["id"])[-1].body
    assert shared is not None
    assert "email" not in shared
