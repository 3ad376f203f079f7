"""The members API: create, read, list, update with versions, delete, and who may do what."""

from __future__ import annotations

from conftest import NodeHarness
from factories import member_data


def test_staff_creates_a_member_and_reads_it_back(node: NodeHarness) -> None:
    created = node.client.post("/api/members", json=member_data(), headers=node.headers("staff"))
    assert created.status_code == 201
    body = created.json()
    assert created.headers["Location"] == f"/api/members/{body['id']}"
    assert created.headers["ETag"] == '"1"'
    read = node.client.get(f"/api/members/{body['id']}", headers=node.headers("staff"))
    assert read.status_code == 200
    assert read.json()["display_name"] == "Camille Durand"
    assert read.json()["email"] == "camille@example.org"
    assert read.json()["consent_at"] is not None


def test_list_filters_ignore_accents_and_case(node: NodeHarness) -> None:
    staff = node.headers("staff")
    node.client.post("/api/members", json=member_data(), headers=staff)
    node.client.post(
        "/api/members",
        json=member_data(display_name="Yann Le Goff", trades=["Comédien"], skills=["clown"]),
        headers=staff,
    )
    found = node.client.get("/api/members", params={"q": "REGISSEUSE"}, headers=staff).json()
    assert [m["display_name"] for m in found["items"]] == ["Camille Durand"]
    by_trade = node.client.get("/api/members", params={"trade": "comedien"}, headers=staff).json()
    assert by_trade["total"] == 1
    assert by_trade["items"][0]["display_name"] == "Yann Le Goff"


def test_list_paginates(node: NodeHarness) -> None:
    staff = node.headers("staff")
    for i in range(5):
        node.client.post("/api/members", json=member_data(display_name=f"M{i}"), headers=staff)
    page = node.client.get("/api/members", params={"limit": 2, "offset": 2}, headers=staff).json()
    assert [m["display_name"] for m in page["items"]] == ["M2", "M3"]
    assert page["total"] == 5
    assert page["next_offset"] == 4


def test_update_needs_the_version_and_refuses_a_stale_one(node: NodeHarness) -> None:
    staff = node.headers("staff")
    member_id = node.client.post("/api/members", json=member_data(), headers=staff).json()["id"]
    url = f"/api/members/{member_id}"
    missing = node.client.patch(url, json={"city": "Vienne"}, headers=staff)
    assert missing.status_code == 428
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["code"] == "version_required"
    ok = node.client.patch(url, json={"city": "Vienne"}, headers={**staff, "If-Match": '"1"'})
    assert ok.status_code == 200
    assert ok.json()["version"] == 2
    assert ok.headers["ETag"] == '"2"'
    stale = node.client.patch(url, json={"city": "Givors"}, headers={**staff, "If-Match": '"1"'})
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    assert stale.json()["code"] == "version_conflict"
    assert node.client.get(url, headers=staff).json()["city"] == "Vienne"


def test_version_may_be_sent_in_the_body(node: NodeHarness) -> None:
    staff = node.headers("staff")
    member_id = node.client.post("/api/members", json=member_data(), headers=staff).json()["id"]
    ok = node.client.patch(
        f"/api/members/{member_id}",
        json={"bio": "Vingt ans de tournée", "version": 1},
        headers=staff,
    )
    assert ok.status_code == 200
    assert ok.json()["bio"] == "Vingt ans de tournée"


def test_invalid_input_names_each_field_at_fault(node: NodeHarness) -> None:
    response = node.client.post(
        "/api/members",
        json={"display_name": "", "visibility": "everyone", "links": ["not a url"], "x": 1},
        headers=node.headers("staff"),
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    fields = {e["field"]: e["code"] for e in response.json()["errors"]}
    assert {"body.display_name", "body.visibility", "body.links.0", "body.x"} <= set(fields)
    assert fields["body.display_name"] == "string_too_short"
    assert fields["body.x"] == "extra_forbidden"
    assert response.json()["code"] == "invalid_request"


def test_a_link_longer_than_peers_accept_once_encoded_is_refused(node: NodeHarness) -> None:
    """`é` is sent as `%C3%A9`: 1,000 of them fit the input's bound but not a peer's."""
    response = node.client.post(
        "/api/members",
        json=member_data(links=["https://example.org/" + "é" * 1_000]),
        headers=node.headers("staff"),
    )
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert (error["field"], error["code"]) == ("body.links.0", "string_too_long")


def test_null_for_a_required_field_is_refused(node: NodeHarness) -> None:
    staff = node.headers("staff")
    member_id = node.client.post("/api/members", json=member_data(), headers=staff).json()["id"]
    response = node.client.patch(
        f"/api/members/{member_id}", json={"city": None}, headers={**staff, "If-Match": '"1"'}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "body.city"


def test_visibility_change_records_and_clears_consent(node: NodeHarness) -> None:
    staff = node.headers("staff")
    created = node.client.post(
        "/api/members", json=member_data(visibility="local"), headers=staff
    ).json()
    assert created["consent_at"] is None
    url = f"/api/members/{created['id']}"
    shared = node.client.patch(url, json={"visibility": "public", "version": 1}, headers=staff)
    assert shared.json()["consent_at"] is not None
    local = node.client.patch(url, json={"visibility": "local", "version": 2}, headers=staff)
    assert local.json()["consent_at"] is None


def test_a_member_edits_their_own_card_but_not_another_nor_membership(node: NodeHarness) -> None:
    staff = node.headers("staff")
    me = node.client.post("/api/members", json=member_data(), headers=staff).json()
    other = node.client.post(
        "/api/members", json=member_data(display_name="Autre"), headers=staff
    ).json()
    mine = node.as_member(me["id"])
    own = node.client.patch(
        f"/api/members/{me['id']}", json={"bio": "Hello", "version": 1}, headers=mine
    )
    assert own.status_code == 200
    theirs = node.client.patch(
        f"/api/members/{other['id']}", json={"bio": "Hello", "version": 1}, headers=mine
    )
    assert theirs.status_code == 403
    shares = node.client.patch(
        f"/api/members/{me['id']}", json={"shares": 10, "version": 2}, headers=mine
    )
    assert shares.status_code == 403


def test_members_do_not_see_each_others_contact_data(node: NodeHarness) -> None:
    staff = node.headers("staff")
    me = node.client.post("/api/members", json=member_data(), headers=staff).json()
    other = node.client.post(
        "/api/members",
        json=member_data(display_name="Autre", email="a@example.org"),
        headers=staff,
    ).json()
    seen = node.client.get(f"/api/members/{other['id']}", headers=node.as_member(me["id"])).json()
    assert seen["email"] is None
    assert seen["display_name"] == "Autre"


def test_only_staff_create_members(node: NodeHarness) -> None:
    staff = node.headers("staff")
    me = node.client.post("/api/members", json=member_data(), headers=staff).json()
    refused = node.client.post("/api/members", json=member_data(), headers=node.as_member(me["id"]))
    assert refused.status_code == 403
    admin = node.client.post("/api/members", json=member_data(), headers=node.headers("admin"))
    assert admin.status_code == 201


def test_no_credentials_and_bad_tokens_are_refused(node: NodeHarness) -> None:
    assert node.client.get("/api/members").status_code == 401
    bad = node.client.get("/api/members", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.json()["detail"] == "the API token is unknown or revoked"
    basic = node.client.get("/api/members", headers={"Authorization": "Basic eDp5"})
    assert basic.status_code == 401


def test_delete_erases_the_member_and_the_trail_keeps_no_name(node: NodeHarness) -> None:
    staff = node.headers("staff")
    member = node.client.post("/api/members", json=member_data(), headers=staff).json()
    deleted = node.client.delete(f"/api/members/{member['id']}", headers=staff)
    assert deleted.status_code == 204
    assert node.client.get(f"/api/members/{member['id']}", headers=staff).status_code == 404
    trail = node.client.get("/api/audit", params={"entity_id": member["id"]}, headers=staff).json()[
        "items"
    ]
    assert [e["action"] for e in trail] == ["delete", "create"]
    assert all("Camille" not in e["summary"] for e in trail)


def test_unknown_member_is_a_404_problem(node: NodeHarness) -> None:
    response = node.client.get("/api/members/nope", headers=node.headers("staff"))
    assert response.status_code == 404
    assert response.json()["title"] == "Not Found"
    assert response.json()["code"] == "not_found"


def test_nul_characters_are_refused_before_reaching_the_database(node: NodeHarness) -> None:
    staff = node.headers("staff")
    body = node.client.post(
        "/api/members",
        content='{"display_name": "A\\u0000B"}',
        headers={**staff, "Content-Type": "application/json"},
    )
    assert body.status_code == 400
    assert "NUL" in body.json()["detail"]
    query = node.client.get("/api/members?q=a%00b", headers=staff)
    assert query.status_code == 400
    assert node.client.get("/api/members", headers=staff).json()["total"] == 0


def test_numbers_beyond_what_the_database_stores_are_a_422(node: NodeHarness) -> None:
    response = node.client.post(
        "/api/members", json=member_data(shares=2**70), headers=node.headers("staff")
    )
    assert response.status_code == 422
