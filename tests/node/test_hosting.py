"""Hosting a touring production between in-process bureaus: a date of lyon comes to the
area of grenoble, which offers a local technician (who consented), a resource and a contact;
lyon accepts them and the technician joins the date's team, engaged by lyon."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from factories import member_data, organisation_data, production_data
from schemas.federation import InboxMessage
from tests.archipelago import Bureau, line
from tests.node.test_loans import exchange, lendable, loan

DAY = "2027-05-20"


def post(bureau: Bureau, url: str, data: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = bureau.client.post(url, json=data, headers=bureau.staff)
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def touring_date(lyon: Bureau) -> dict[str, Any]:
    production = post(lyon, "/api/productions", production_data(title="Le Grand Voyage"))
    venue = post(
        lyon,
        "/api/organisations",
        organisation_data(name="Théâtre municipal", city="Grenoble", postal_code="38000"),
    )
    return post(
        lyon,
        "/api/tour-dates",
        {
            "production_id": production["id"],
            "starts_at": f"{DAY}T20:30:00",
            "city": "Grenoble",
            "venue_id": venue["id"],
            "status": "confirmed",
        },
    )


def local_technician(grenoble: Bureau, name: str, *, consents: bool) -> dict[str, Any]:
    return post(
        grenoble,
        "/api/members",
        member_data(
            display_name=name,
            city="Grenoble",
            trades=["Régisseur lumière"],
            availability=[{"start": "2027-05-01", "end": "2027-05-31"}],
            network_proposals=consents,
        ),
    )


def test_a_host_offers_a_local_technician_and_the_producer_engages_them(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        grenoble.settings.node.host_area = ["38"]
        tour_date = touring_date(lyon)
        tech = local_technician(grenoble, "Sami Benali", consents=True)
        shy = local_technician(grenoble, "Discrète Personne", consents=False)
        projector = lendable(grenoble, "Découpes 1 kW ×12")
        grenoble.pull("lyon")
        lyon.pull("grenoble")

        coming = grenoble.client.get("/api/hosting/coming", headers=grenoble.staff).json()["items"]
        assert [(c["origin"], c["record_id"], c["day"]) for c in coming] == [
            ("lyon", tour_date["id"], DAY)
        ]
        assert lyon.client.get("/api/hosting/coming", headers=lyon.staff).json()["items"] == []
        candidates = grenoble.client.get(
            "/api/hosting/candidates", params={"day": DAY}, headers=grenoble.staff
        ).json()
        assert [c["display_name"] for c in candidates["crew"]] == ["Sami Benali"]
        assert tech["network_proposals"] is True and tech["network_proposals_at"]
        assert shy["network_proposals_at"] is None
        assert [r["name"] for r in candidates["resources"]] == ["Découpes 1 kW ×12"]

        # Without consent, a member cannot be proposed.
        refused = grenoble.client.post(
            "/api/hosting/offers",
            json={
                "producer": "lyon",
                "tour_date_id": tour_date["id"],
                "crew": [{"member_id": shy["id"]}],
            },
            headers=grenoble.staff,
        )
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["field"] == "body.crew.0.member_id"

        offer = post(
            grenoble,
            "/api/hosting/offers",
            {
                "producer": "lyon",
                "tour_date_id": tour_date["id"],
                "note": "On vous accueille avec plaisir.",
                "crew": [{"member_id": tech["id"], "note": "Connaît bien la salle"}],
                "resources": [projector["id"]],
                "contacts": [
                    {"name": "Hélène Roux", "role": "Directrice technique", "phone": "04 76 00"}
                ],
            },
        )
        assert [i["type"] for i in offer["items"]] == ["crew", "resource", "contact"]
        exchange(grenoble, lyon)
        received = lyon.client.get(f"/api/hosting/offers/{offer['id']}", headers=lyon.staff)
        assert received.status_code == 200, received.text
        assert received.json()["role"] == "producer"
        assert received.json()["tour_date_id"] == tour_date["id"]

        # Accepting crew needs the engagement's terms; then the technician is on the team.
        needs_terms = lyon.client.post(
            f"/api/hosting/offers/{offer['id']}/items/c1",
            json={"decision": "accept"},
            headers=lyon.staff,
        )
        assert needs_terms.status_code == 400
        assert needs_terms.json()["errors"][0]["field"] == "body.engagement"
        terms = {
            "profession": "Régisseur lumière",
            "category": "technicien",
            "annexe": "I",
            "cachets": 1,
            "gross_pay": "180.00",
        }
        decided = post(
            lyon,
            f"/api/hosting/offers/{offer['id']}/items/c1",
            {"decision": "accept", "engagement": terms},
            status=200,
        )
        assert decided["items"][0]["status"] == "accepted"
        team = lyon.client.get(
            f"/api/tour-dates/{tour_date['id']}/engagements", headers=lyon.staff
        ).json()["items"]
        assert [(e["member_name"], e["host_bureau"]) for e in team] == [("Sami Benali", "grenoble")]
        again = lyon.client.post(
            f"/api/hosting/offers/{offer['id']}/items/c1",
            json={"decision": "accept", "engagement": terms},
            headers=lyon.staff,
        )
        assert again.status_code == 409

        # The resource becomes a loan request, accepted by the host (it offered it).
        decided = post(
            lyon,
            f"/api/hosting/offers/{offer['id']}/items/r1",
            {"decision": "accept"},
            status=200,
        )
        loan_id = decided["items"][1]["loan_id"]
        exchange(lyon, grenoble)
        assert loan(grenoble, loan_id)["state"] == "accepted"
        assert loan(lyon, loan_id)["state"] == "accepted"
        assert (loan(lyon, loan_id)["starts_on"], loan(lyon, loan_id)["ends_on"]) == (DAY, DAY)
        # The offer is used up: another request naming it waits for the host's decision.
        handler = grenoble.federation.registry.message_handler("loan.request")
        assert handler is not None
        again_request = InboxMessage(
            id="m" * 32,
            kind="loan.request",
            sender="lyon",
            recipient="grenoble",
            idempotency_key="again",
            body={
                "loan_id": "a" * 32,
                "resource_id": projector["id"],
                "starts_on": DAY,
                "ends_on": "2027-06-30",
                "purpose": "Tout l'été",
                "offer_id": offer["id"],
            },
        )
        with grenoble.federation._sessions() as session, session.begin():
            handler(session, again_request)
        assert loan(grenoble, "a" * 32)["state"] == "requested"

        # The contact joins the date's day sheet.
        post(
            lyon,
            f"/api/hosting/offers/{offer['id']}/items/k1",
            {"decision": "decline", "reason": "Nous avons déjà notre contact"},
            status=200,
        )
        exchange(lyon, grenoble)
        host_view = grenoble.client.get(
            f"/api/hosting/offers/{offer['id']}", headers=grenoble.staff
        ).json()
        assert [(i["id"], i["status"]) for i in host_view["items"]] == [
            ("c1", "accepted"),
            ("r1", "accepted"),
            ("k1", "declined"),
        ]
        assert host_view["items"][2]["reason"] == "Nous avons déjà notre contact"
        # The guest never appears in lyon's directory as lyon's member.
        names = [c["display_name"] for c in lyon.directory() if c["origin"] == "lyon"]
        assert "Sami Benali" not in names


def test_an_accepted_contact_joins_the_day_sheet(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        grenoble.settings.node.host_area = ["Grenoble"]
        tour_date = touring_date(lyon)
        grenoble.pull("lyon")
        offer = post(
            grenoble,
            "/api/hosting/offers",
            {
                "producer": "lyon",
                "tour_date_id": tour_date["id"],
                "contacts": [{"name": "Hôtel des Alpes", "role": "Hébergement", "phone": "04"}],
            },
        )
        exchange(grenoble, lyon)
        post(lyon, f"/api/hosting/offers/{offer['id']}/items/k1", {"decision": "accept"}, 200)
        sheet = lyon.client.get(
            f"/api/tour-dates/{tour_date['id']}/day-sheet", headers=lyon.staff
        ).json()
        assert sheet["contacts"] == [
            {"name": "Hôtel des Alpes", "role": "Hébergement (accueil grenoble)", "phone": "04"}
        ]


def offer_body(tour_date: dict[str, Any], **over: Any) -> dict[str, Any]:
    return {"producer": "lyon", "tour_date_id": tour_date["id"], **over}


def test_an_offer_for_a_date_outside_the_host_area_is_refused(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        grenoble.settings.node.host_area = ["73", "Chambéry"]
        tour_date = touring_date(lyon)  # Grenoble, 38000
        grenoble.pull("lyon")
        refused = grenoble.client.post(
            "/api/hosting/offers",
            json=offer_body(tour_date, note="On peut aider quand même ?"),
            headers=grenoble.staff,
        )
        assert refused.status_code == 400, refused.text
        assert refused.json()["code"] == "date_outside_host_area"
        offers = grenoble.client.get("/api/hosting/offers", headers=grenoble.staff).json()
        assert offers["total"] == 0
        exchange(grenoble, lyon)
        assert lyon.client.get("/api/hosting/offers", headers=lyon.staff).json()["total"] == 0


def test_each_reason_a_member_cannot_be_proposed_has_its_own_code(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        grenoble.settings.node.host_area = ["38"]
        tour_date = touring_date(lyon)
        grenoble.pull("lyon")
        shy = local_technician(grenoble, "Discrète Personne", consents=False)
        hidden = post(
            grenoble,
            "/api/members",
            member_data(
                display_name="Carte Locale",
                visibility="local",
                availability=[{"start": "2027-05-01", "end": "2027-05-31"}],
                network_proposals=True,
            ),
        )
        busy = post(
            grenoble,
            "/api/members",
            member_data(
                display_name="Déjà Prise",
                availability=[{"start": "2027-06-01", "end": "2027-06-30"}],
                network_proposals=True,
            ),
        )
        crew = [{"member_id": m} for m in (shy["id"], hidden["id"], busy["id"], "f" * 32)]
        refused = grenoble.client.post(
            "/api/hosting/offers", json=offer_body(tour_date, crew=crew), headers=grenoble.staff
        )
        assert refused.status_code == 400, refused.text
        assert refused.json()["code"] == "offer_items_refused"
        assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [
            ("body.crew.0.member_id", "crew_no_consent"),
            ("body.crew.1.member_id", "crew_card_not_shared"),
            ("body.crew.2.member_id", "crew_unavailable"),
            ("body.crew.3.member_id", "crew_unknown_member"),
        ]
        alone = grenoble.client.post(
            "/api/hosting/offers",
            json=offer_body(tour_date, crew=[{"member_id": busy["id"]}]),
            headers=grenoble.staff,
        )
        assert alone.json()["code"] == "crew_unavailable"


GRID = """convention;annexe;category;profession;basis;minimum;valid_from;source
idcc-3090;I;technicien;*;heure;15;2026-01-01;grille de test
"""


def test_an_under_minimum_engagement_names_the_engagement_field_and_hours_are_accepted(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        grenoble.settings.node.host_area = ["38"]
        tour_date = touring_date(lyon)
        tech = local_technician(grenoble, "Sami Benali", consents=True)
        grenoble.pull("lyon")
        loaded = lyon.client.put(
            "/api/pay-grids",
            content=GRID.encode(),
            headers={**lyon.staff, "Content-Type": "text/csv"},
        )
        assert loaded.status_code == 200, loaded.text
        offer = post(
            grenoble, "/api/hosting/offers", offer_body(tour_date, crew=[{"member_id": tech["id"]}])
        )
        exchange(grenoble, lyon)
        hourly = {
            "profession": "Régisseur lumière",
            "category": "technicien",
            "annexe": "I",
            "pay_basis": "heures",
            "hours": 8,
            "gross_pay": "80.00",  # 10 € an hour, under the grid's 15
            "rehearsal_days": ["2027-05-19"],
        }
        url = f"/api/hosting/offers/{offer['id']}/items/c1"
        under = lyon.client.post(
            url, json={"decision": "accept", "engagement": hourly}, headers=lyon.staff
        )
        assert under.status_code == 400, under.text
        assert [(e["field"], e["code"]) for e in under.json()["errors"]] == [
            ("body.engagement.gross_pay", "pay_below_minimum")
        ]
        assert under.json()["code"] == "pay_below_minimum"
        post(lyon, url, {"decision": "accept", "engagement": {**hourly, "gross_pay": "160"}}, 200)
        team = lyon.client.get(
            f"/api/tour-dates/{tour_date['id']}/engagements", headers=lyon.staff
        ).json()["items"]
        assert [(e["pay_basis"], e["hours"], e["rehearsal_days"]) for e in team] == [
            ("heures", 8, ["2027-05-19"])
        ]
