"""The productions API: create with a team, read, list, update with versions, delete with dates."""

from __future__ import annotations

from typing import Any

from conftest import NodeHarness
from factories import member_data, production_data, record_publications, tour_date_data

URL = "/api/productions"


def _member(node: NodeHarness, name: str) -> str:
    response = node.client.post(
        "/api/members", json=member_data(display_name=name), headers=node.headers("staff")
    )
    member_id: str = response.json()["id"]
    return member_id


def _production(node: NodeHarness, **over: Any) -> dict[str, Any]:
    response = node.client.post(URL, json=production_data(**over), headers=node.headers("staff"))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_staff_creates_a_production_with_its_team_and_reads_it_back(node: NodeHarness) -> None:
    camille = _member(node, "Camille Durand")
    yann = _member(node, "Yann Le Goff")
    team = [
        {"member_id": yann, "role": "comédien"},
        {"member_id": camille, "role": "régisseuse son"},
        {"member_id": camille, "role": "régisseuse son"},
    ]
    created = node.client.post(URL, json=production_data(team=team), headers=node.headers("staff"))
    assert created.status_code == 201
    body = created.json()
    assert created.headers["Location"] == f"{URL}/{body['id']}"
    assert created.headers["ETag"] == '"1"'
    read = node.client.get(f"{URL}/{body['id']}", headers=node.headers("staff")).json()
    assert read["title"] == "Les Étoiles filantes"
    assert read["discipline"] == "theatre"
    assert read["team"] == [
        {"member_id": yann, "display_name": "Yann Le Goff", "role": "comédien"},
        {"member_id": camille, "display_name": "Camille Durand", "role": "régisseuse son"},
    ]


def test_an_unknown_team_member_is_refused_naming_its_position(node: NodeHarness) -> None:
    camille = _member(node, "Camille Durand")
    team = [{"member_id": camille, "role": "son"}, {"member_id": "nobody", "role": "lumière"}]
    response = node.client.post(URL, json=production_data(team=team), headers=node.headers("staff"))
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["body.team.1.member_id"]


def test_invalid_input_names_each_field_at_fault(node: NodeHarness) -> None:
    response = node.client.post(
        URL,
        json={"title": "", "discipline": "opera", "team": [{"member_id": "x"}], "extra": 1},
        headers=node.headers("staff"),
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"body.title", "body.discipline", "body.team.0.role", "body.extra"} <= fields


def test_list_filters_by_words_discipline_visibility_and_team_member(node: NodeHarness) -> None:
    camille = _member(node, "Camille Durand")
    _production(node, team=[{"member_id": camille, "role": "son"}])
    _production(node, title="Cirque d'hiver", discipline="cirque", visibility="local")
    staff = node.headers("staff")

    def titles(**params: str) -> list[str]:
        page = node.client.get(URL, params=params, headers=staff).json()
        return [p["title"] for p in page["items"]]

    assert titles(q="ETOILES lea") == ["Les Étoiles filantes"]
    assert titles(discipline="cirque") == ["Cirque d'hiver"]
    assert titles(visibility="local") == ["Cirque d'hiver"]
    assert titles(member_id=camille) == ["Les Étoiles filantes"]
    assert titles() == ["Cirque d'hiver", "Les Étoiles filantes"]


def test_list_paginates(node: NodeHarness) -> None:
    for i in range(5):
        _production(node, title=f"P{i}")
    page = node.client.get(
        URL, params={"limit": 2, "offset": 2}, headers=node.headers("staff")
    ).json()
    assert [p["title"] for p in page["items"]] == ["P2", "P3"]
    assert page["total"] == 5
    assert page["next_offset"] == 4


def test_update_needs_the_version_and_refuses_a_stale_one(node: NodeHarness) -> None:
    staff = node.headers("staff")
    url = f"{URL}/{_production(node)['id']}"
    missing = node.client.patch(url, json={"synopsis": "Autre"}, headers=staff)
    assert missing.status_code == 428
    assert missing.headers["content-type"] == "application/problem+json"
    ok = node.client.patch(url, json={"synopsis": "Autre"}, headers={**staff, "If-Match": '"1"'})
    assert ok.status_code == 200
    assert ok.headers["ETag"] == '"2"'
    stale = node.client.patch(url, json={"synopsis": "Encore", "version": 1}, headers=staff)
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2


def test_patching_the_team_replaces_it(node: NodeHarness) -> None:
    camille = _member(node, "Camille Durand")
    yann = _member(node, "Yann Le Goff")
    production = _production(node, team=[{"member_id": camille, "role": "son"}])
    url = f"{URL}/{production['id']}"
    team = [{"member_id": camille, "role": "son"}, {"member_id": yann, "role": "lumière"}]
    updated = node.client.patch(
        url, json={"team": team, "version": 1}, headers=node.headers("staff")
    )
    assert updated.status_code == 200
    assert [(t["display_name"], t["role"]) for t in updated.json()["team"]] == [
        ("Yann Le Goff", "lumière"),
        ("Camille Durand", "son"),
    ]
    emptied = node.client.patch(url, json={"team": [], "version": 2}, headers=node.headers("staff"))
    assert emptied.json()["team"] == []


def test_null_for_a_required_field_is_refused(node: NodeHarness) -> None:
    url = f"{URL}/{_production(node)['id']}"
    response = node.client.patch(
        url, json={"title": None, "team": None, "version": 1}, headers=node.headers("staff")
    )
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"body.title", "body.team"}


def test_members_read_but_do_not_write_and_strangers_are_refused(node: NodeHarness) -> None:
    member = node.as_member(_member(node, "Camille Durand"))
    production = _production(node)
    url = f"{URL}/{production['id']}"
    assert node.client.get(URL, headers=member).status_code == 200
    assert node.client.get(url, headers=member).status_code == 200
    assert node.client.post(URL, json=production_data(), headers=member).status_code == 403
    patched = node.client.patch(url, json={"title": "X", "version": 1}, headers=member)
    assert patched.status_code == 403
    assert node.client.delete(url, headers=member).status_code == 403
    assert node.client.get(URL).status_code == 401
    assert node.client.post(URL, json=production_data()).status_code == 401


def test_deleting_a_production_deletes_its_dates_and_audits_them(node: NodeHarness) -> None:
    staff = node.headers("staff")
    production = _production(node)
    date = node.client.post(
        "/api/tour-dates", json=tour_date_data(production["id"]), headers=staff
    ).json()
    stale = node.client.delete(f"{URL}/{production['id']}", headers={**staff, "If-Match": '"7"'})
    assert stale.status_code == 409
    deleted = node.client.delete(f"{URL}/{production['id']}", headers=staff)
    assert deleted.status_code == 204
    assert node.client.get(f"{URL}/{production['id']}", headers=staff).status_code == 404
    assert node.client.get(f"/api/tour-dates/{date['id']}", headers=staff).status_code == 404
    trail = node.client.get("/api/audit", params={"entity_id": date["id"]}, headers=staff).json()
    assert [e["action"] for e in trail["items"]] == ["delete", "create"]


def test_updates_are_audited_with_field_names_only(node: NodeHarness) -> None:
    staff = node.headers("staff")
    production = _production(node)
    node.client.patch(
        f"{URL}/{production['id']}",
        json={"synopsis": "Secret", "visibility": "public", "version": 1},
        headers=staff,
    )
    trail = node.client.get(
        "/api/audit", params={"entity_id": production["id"]}, headers=staff
    ).json()["items"]
    assert trail[0]["action"] == "update"
    assert trail[0]["fields"] == ["synopsis", "visibility"]
    assert "Secret" not in str(trail)


def test_unknown_production_is_a_404_problem(node: NodeHarness) -> None:
    response = node.client.get(f"{URL}/nope", headers=node.headers("staff"))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_deleting_a_shared_production_tombstones_it_and_its_dates(node: NodeHarness) -> None:
    recorder = record_publications(node.app.state.sessions)
    staff = node.headers("staff")
    production = _production(node)
    date = node.client.post(
        "/api/tour-dates", json=tour_date_data(production["id"]), headers=staff
    ).json()
    assert recorder.of(production["id"])[-1].body is not None
    assert recorder.of(date["id"])[-1].body is not None
    node.client.delete(f"{URL}/{production['id']}", headers=staff)
    assert recorder.of(production["id"])[-1].body is None
    assert recorder.of(production["id"])[-1].version == 2
    assert recorder.of(date["id"])[-1].body is None
    assert recorder.of(date["id"])[-1].version == 2


def test_renaming_a_shared_production_republishes_its_dates(node: NodeHarness) -> None:
    recorder = record_publications(node.app.state.sessions)
    staff = node.headers("staff")
    production = _production(node)
    date = node.client.post(
        "/api/tour-dates", json=tour_date_data(production["id"]), headers=staff
    ).json()
    node.client.patch(
        f"{URL}/{production['id']}", json={"title": "Comètes", "version": 1}, headers=staff
    )
    latest = recorder.of(date["id"])[-1]
    assert latest.body is not None
    assert latest.body["production_title"] == "Comètes"
    assert latest.version == 2
