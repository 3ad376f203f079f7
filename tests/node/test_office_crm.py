"""The organisers CRM: shared interaction history, prospection pipeline, duplicates, merge."""

from __future__ import annotations

from conftest import NodeHarness
from factories import contact_data
from tests.office import get, member, organisation, patch, post, production, tour_date


def test_staff_and_members_share_an_organisations_history(node: NodeHarness) -> None:
    org = organisation(node)
    camille = member(node)
    url = f"/api/organisations/{org['id']}/interactions"
    post(
        node,
        url,
        {
            "kind": "appel",
            "text": "Intéressée par la saison 27",
            "happened_at": "2026-01-10T10:00:00",
        },
    )
    mine = node.client.post(
        url,
        json={"kind": "rendez-vous", "text": "Vu au festival"},
        headers=node.as_member(camille["id"]),
    )
    assert mine.status_code == 201, mine.text
    assert mine.json()["author_member_id"] == camille["id"]
    history = node.client.get(url, headers=node.as_member(camille["id"])).json()
    assert [i["kind"] for i in history["items"]] == ["rendez-vous", "appel"]
    staff_note = history["items"][1]
    refused = node.client.patch(
        f"/api/interactions/{staff_note['id']}",
        json={"text": "changé", "version": 1},
        headers=node.as_member(camille["id"]),
    )
    assert refused.status_code == 403
    own = node.client.patch(
        f"/api/interactions/{mine.json()['id']}",
        json={"text": "Vu au festival d'Avignon", "version": 1},
        headers=node.as_member(camille["id"]),
    )
    assert own.status_code == 200 and own.json()["version"] == 2


def test_the_pipeline_groups_prospection_by_status(node: NodeHarness) -> None:
    show = production(node)
    lyon = organisation(node)
    valence = organisation(node, name="La Comédie de Valence", city="Valence", email=None)
    url = f"/api/productions/{show['id']}/prospection"
    first = post(
        node,
        url,
        {"organisation_id": lyon["id"], "next_action": "Appeler", "next_action_on": "2026-02-01"},
    )
    post(node, url, {"organisation_id": valence["id"]})
    post(node, url, {"organisation_id": lyon["id"]}, code=409)
    moved = patch(node, f"/api/prospection/{first['id']}", {"status": "interesse"}, version=1)
    assert moved["organisation_name"] == lyon["name"]
    board = get(node, f"/api/productions/{show['id']}/pipeline")
    counts = {c["status"]: c["count"] for c in board["columns"]}
    assert [c["status"] for c in board["columns"]] == [
        "a-contacter",
        "contacte",
        "interesse",
        "option",
        "confirme",
        "refuse",
    ]
    assert counts["interesse"] == 1 and counts["a-contacter"] == 1
    trail = get(node, "/api/audit", entity="prospection", entity_id=first["id"])
    assert trail["items"][0]["extra"] == {"from": "a-contacter", "to": "interesse"}


def test_duplicates_are_found_by_folded_name_and_city_or_shared_email(node: NodeHarness) -> None:
    a = organisation(node)
    b = organisation(node, name="THEATRE de la Croix Rousse", city="lyon", email=None)
    c = organisation(node, name="Festival des Nuits", city="Lyon", email="nuits@example.org")
    post(node, f"/api/organisations/{c['id']}/contacts", contact_data(email="ACCUEIL@example.org"))
    groups = get(node, "/api/organisation-duplicates")["items"]
    by_reason = {g["reason"]: {o["id"] for o in g["organisations"]} for g in groups}
    assert by_reason["same-name-and-city"] == {a["id"], b["id"]}
    assert by_reason["same-email"] == {a["id"], c["id"]}


def test_a_merge_moves_everything_to_the_kept_organisation(node: NodeHarness) -> None:
    kept = organisation(node, licence_number="", phone="")
    merged = organisation(node, name="Théâtre Croix-Rousse", phone="04 00 00 00 00", email=None)
    show = production(node)
    date = tour_date(node, show["id"], venue_id=merged["id"])
    post(node, f"/api/organisations/{merged['id']}/contacts", contact_data())
    post(node, f"/api/organisations/{merged['id']}/interactions", {"text": "Premier contact"})
    post(node, f"/api/organisations/{kept['id']}/interactions", {"text": "Second contact"})
    url = f"/api/productions/{show['id']}/prospection"
    post(node, url, {"organisation_id": kept["id"]})
    post(
        node, url, {"organisation_id": merged["id"], "status": "option", "notes": "Option en mars"}
    )
    report = post(
        node, f"/api/organisations/{kept['id']}/merge", {"merged_id": merged["id"]}, code=200
    )
    assert report["contacts"] == 1 and report["interactions"] == 1
    assert report["prospections_combined"] == 1 and report["tour_dates"] == 1
    assert "licence_number" in report["fields_filled"] and "phone" in report["fields_filled"]
    gone = node.client.get(f"/api/organisations/{merged['id']}", headers=node.headers("staff"))
    assert gone.status_code == 404
    history = get(node, f"/api/organisations/{kept['id']}/interactions")
    assert history["total"] == 2
    assert get(node, f"/api/tour-dates/{date['id']}")["venue_id"] == kept["id"]
    board = get(node, f"/api/productions/{show['id']}/pipeline")
    option = next(c for c in board["columns"] if c["status"] == "option")
    assert option["count"] == 1 and option["items"][0]["notes"] == "Option en mars"
    trail = get(node, "/api/audit", entity="organisation", entity_id=kept["id"])
    assert trail["items"][0]["action"] == "merge"
    assert trail["items"][0]["extra"]["merged_id"] == merged["id"]


def test_only_staff_merge(node: NodeHarness) -> None:
    a, b = organisation(node), organisation(node, name="Autre")
    someone = member(node)
    refused = node.client.post(
        f"/api/organisations/{a['id']}/merge",
        json={"merged_id": b["id"]},
        headers=node.as_member(someone["id"]),
    )
    assert refused.status_code == 403
    itself = node.client.post(
        f"/api/organisations/{a['id']}/merge",
        json={"merged_id": a["id"]},
        headers=node.headers("staff"),
    )
    assert itself.status_code == 400
