"""The tour dates API: time zones, venues and cities, contract types, filters, versions, roles."""

from __future__ import annotations

from typing import Any

from conftest import NodeHarness
from factories import (
    member_data,
    organisation_data,
    production_data,
    record_publications,
    tour_date_data,
)

URL = "/api/tour-dates"


def _post(node: NodeHarness, url: str, data: dict[str, Any]) -> dict[str, Any]:
    response = node.client.post(url, json=data, headers=node.headers("staff"))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _production(node: NodeHarness, **over: Any) -> str:
    production_id: str = _post(node, "/api/productions", production_data(**over))["id"]
    return production_id


def _date(node: NodeHarness, production_id: str, **over: Any) -> dict[str, Any]:
    return _post(node, URL, tour_date_data(production_id, **over))


def test_a_naive_start_is_read_in_paris_time_and_shown_with_its_offset(
    node: NodeHarness,
) -> None:
    production_id = _production(node)
    winter = node.client.post(
        URL, json=tour_date_data(production_id), headers=node.headers("staff")
    )
    assert winter.status_code == 201
    assert winter.headers["Location"] == f"{URL}/{winter.json()['id']}"
    assert winter.json()["starts_at"] == "2026-03-14T20:30:00+01:00"
    assert winter.json()["timezone"] == "Europe/Paris"
    summer = _date(node, production_id, starts_at="2026-07-14T21:00:00")
    assert summer["starts_at"] == "2026-07-14T21:00:00+02:00"
    montreal = _date(
        node, production_id, starts_at="2026-07-14T19:00:00Z", timezone="America/Montreal"
    )
    assert montreal["starts_at"] == "2026-07-14T15:00:00-04:00"
    read = node.client.get(f"{URL}/{montreal['id']}", headers=node.headers("staff"))
    assert read.json()["starts_at"] == "2026-07-14T15:00:00-04:00"


def test_contract_types_are_accepted_without_accents_and_stored_with_them(
    node: NodeHarness,
) -> None:
    production_id = _production(node)
    assert _date(node, production_id, contract_type="residence")["contract_type"] == "résidence"
    assert (
        _date(node, production_id, contract_type="Coréalisation")["contract_type"]
        == "coréalisation"
    )


def test_invalid_input_names_each_field_at_fault(node: NodeHarness) -> None:
    production_id = _production(node)
    response = node.client.post(
        URL,
        json=tour_date_data(
            production_id,
            timezone="Europe/Nowhere",
            status="maybe",
            contract_type="prêt",
            starts_at="demain",
        ),
        headers=node.headers("staff"),
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"body.timezone", "body.status", "body.contract_type", "body.starts_at"}


def test_unknown_production_and_venue_are_refused_by_field(node: NodeHarness) -> None:
    staff = node.headers("staff")
    no_production = node.client.post(URL, json=tour_date_data("nope"), headers=staff)
    assert no_production.status_code == 400
    assert no_production.json()["errors"][0]["field"] == "body.production_id"
    no_venue = node.client.post(
        URL, json=tour_date_data(_production(node), venue_id="nope"), headers=staff
    )
    assert no_venue.status_code == 400
    assert no_venue.json()["errors"][0]["field"] == "body.venue_id"


def test_the_city_defaults_to_the_venues_and_follows_a_new_venue(node: NodeHarness) -> None:
    staff = node.headers("staff")
    production_id = _production(node)
    lyon = _post(node, "/api/organisations", organisation_data())
    grenoble = _post(node, "/api/organisations", organisation_data(name="MC2", city="Grenoble"))
    date = _date(node, production_id, venue_id=lyon["id"], city=None)
    assert date["city"] == "Lyon"
    url = f"{URL}/{date['id']}"
    moved = node.client.patch(url, json={"venue_id": grenoble["id"], "version": 1}, headers=staff)
    assert moved.json()["city"] == "Grenoble"
    named = node.client.patch(url, json={"city": "Échirolles", "version": 2}, headers=staff)
    assert named.json()["city"] == "Échirolles"
    no_venue = node.client.patch(url, json={"venue_id": None, "version": 3}, headers=staff)
    assert no_venue.json()["venue_id"] is None
    assert no_venue.json()["city"] == "Échirolles"


def test_a_naive_new_start_is_read_in_the_dates_own_zone(node: NodeHarness) -> None:
    date = _date(node, _production(node), timezone="America/Montreal")
    updated = node.client.patch(
        f"{URL}/{date['id']}",
        json={"starts_at": "2026-09-01T20:00:00", "version": 1},
        headers=node.headers("staff"),
    )
    assert updated.json()["starts_at"] == "2026-09-01T20:00:00-04:00"


def test_list_filters_and_sorts_by_start(node: NodeHarness) -> None:
    staff = node.headers("staff")
    first = _production(node)
    other = _production(node, title="Cirque d'hiver")
    _date(node, first, starts_at="2026-05-02T20:00:00", city="Saint-Étienne")
    _date(node, first, starts_at="2026-04-01T20:00:00", status="confirmed")
    _date(node, other, starts_at="2026-06-01T00:30:00")

    def starts(**params: str) -> list[str]:
        page = node.client.get(URL, params=params, headers=staff).json()
        return [d["starts_at"][:10] for d in page["items"]]

    assert starts() == ["2026-04-01", "2026-05-02", "2026-06-01"]
    assert starts(production_id=first) == ["2026-04-01", "2026-05-02"]
    assert starts(status="confirmed") == ["2026-04-01"]
    assert starts(city="SAINT-ETIENNE") == ["2026-05-02"]
    # Whole days in Paris time: 00:30 on June 1st in Paris is still May 31st in UTC.
    assert starts(**{"from": "2026-05-02", "to": "2026-06-01"}) == ["2026-05-02", "2026-06-01"]
    assert starts(**{"from": "2026-06-01"}) == ["2026-06-01"]
    assert starts(to="2026-05-01") == ["2026-04-01"]
    backwards = node.client.get(
        URL, params={"from": "2026-06-01", "to": "2026-05-01"}, headers=staff
    )
    assert backwards.status_code == 400
    assert backwards.json()["errors"][0]["field"] == "query.to"


def test_a_productions_dates_are_listed_under_it_and_paginate(node: NodeHarness) -> None:
    staff = node.headers("staff")
    production_id = _production(node)
    _date(node, _production(node, title="Autre"))
    for day in range(1, 6):
        _date(node, production_id, starts_at=f"2026-04-0{day}T20:00:00")
    url = f"/api/productions/{production_id}/dates"
    page = node.client.get(url, params={"limit": 2, "offset": 2}, headers=staff).json()
    assert [d["starts_at"][:10] for d in page["items"]] == ["2026-04-03", "2026-04-04"]
    assert page["total"] == 5
    assert page["next_offset"] == 4
    missing = node.client.get("/api/productions/nope/dates", headers=staff)
    assert missing.status_code == 404


def test_update_needs_the_version_and_refuses_a_stale_one(node: NodeHarness) -> None:
    staff = node.headers("staff")
    url = f"{URL}/{_date(node, _production(node))['id']}"
    missing = node.client.patch(url, json={"status": "confirmed"}, headers=staff)
    assert missing.status_code == 428
    ok = node.client.patch(
        url, json={"status": "confirmed"}, headers={**staff, "If-Match": 'W/"1"'}
    )
    assert ok.status_code == 200
    assert ok.headers["ETag"] == '"2"'
    stale = node.client.patch(url, json={"status": "cancelled", "version": 1}, headers=staff)
    assert stale.status_code == 409
    nulls = node.client.patch(url, json={"status": None, "version": 2}, headers=staff)
    assert nulls.status_code == 400
    assert nulls.json()["errors"][0]["field"] == "body.status"


def test_members_read_but_do_not_write_and_strangers_are_refused(node: NodeHarness) -> None:
    staff = node.headers("staff")
    member_id = node.client.post("/api/members", json=member_data(), headers=staff).json()["id"]
    member = node.as_member(member_id)
    production_id = _production(node)
    url = f"{URL}/{_date(node, production_id)['id']}"
    assert node.client.get(URL, headers=member).status_code == 200
    assert node.client.get(url, headers=member).status_code == 200
    refused = node.client.post(URL, json=tour_date_data(production_id), headers=member)
    assert refused.status_code == 403
    patched = node.client.patch(url, json={"notes": "x", "version": 1}, headers=member)
    assert patched.status_code == 403
    assert node.client.delete(url, headers=member).status_code == 403
    assert node.client.get(URL).status_code == 401


def test_a_date_is_shared_with_its_production_and_tombstoned_when_deleted(
    node: NodeHarness,
) -> None:
    recorder = record_publications(node.app.state.sessions)
    staff = node.headers("staff")
    local_id = _production(node, visibility="local")
    hidden = _date(node, local_id)
    shared = _date(node, _production(node))
    assert recorder.of(hidden["id"])[-1].body is None
    body = recorder.of(shared["id"])[-1].body
    assert body is not None
    assert body["production_title"] == "Les Étoiles filantes"
    assert "contract_type" not in body
    node.client.patch(
        f"/api/productions/{local_id}", json={"visibility": "network", "version": 1}, headers=staff
    )
    assert recorder.of(hidden["id"])[-1].body is not None
    assert recorder.of(hidden["id"])[-1].version == 2
    assert node.client.delete(f"{URL}/{shared['id']}", headers=staff).status_code == 204
    assert recorder.of(shared["id"])[-1].body is None
    trail = node.client.get("/api/audit", params={"entity": "tour_date"}, headers=staff).json()
    assert [e["action"] for e in trail["items"]][:1] == ["delete"]
