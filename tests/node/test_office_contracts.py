"""Sale contracts: licences mandatory, kinds, signature moves dates, HTML/PDF, settlement."""

from __future__ import annotations

from typing import Any

from conftest import NodeHarness
from factories import organisation_data
from tests.office import get, organisation, patch, post, production, put, tour_date

PROFILE = {
    "legal_name": "Archipel Lyon SCOP",
    "licence_number": "PLATESV-D-2020-000111",
    "address": "1 rue de la Scène, 69001 Lyon",
    "signatory": "Camille Durand, gérante",
    "city": "Lyon",
}


def _setup(node: NodeHarness, **date_over: Any) -> tuple[dict, dict, dict]:
    put(node, "/api/office/profile", PROFILE)
    show = production(node)
    venue = organisation(node)
    date = tour_date(node, show["id"], venue_id=venue["id"], **date_over)
    return show, venue, date


def _cession(show: dict, venue: dict, dates: list[str], **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "production_id": show["id"],
        "organiser_id": venue["id"],
        "kind": "cession",
        "tour_date_ids": dates,
        "fee": "4500.00",
        "deposit": "1000",
        "costs": [
            {"item": "transport", "covered_by": "organisateur", "amount": "320.50"},
            {"item": "repas", "covered_by": "organisateur", "notes": "6 repas chauds"},
        ],
        "rider": "Plateau 8 × 6 m, noir complet, 2 services de montage.",
        "sign_by": "2026-02-01",
        "payment_due": "2026-04-15",
    }
    body.update(over)
    return body


def _with_version(node: NodeHarness, url: str, body: Any, version: int, code: int = 200) -> Any:
    headers = {**node.headers("staff"), "If-Match": f'"{version}"'}
    response = node.client.post(url, json=body, headers=headers)
    assert response.status_code == code, response.text
    return response.json()


def _played(node: NodeHarness, date_id: str) -> None:
    version = get(node, f"/api/tour-dates/{date_id}")["version"]
    _with_version(node, f"/api/tour-dates/{date_id}/stage", {"to": "jouee"}, version)


def test_licence_numbers_of_both_parties_are_mandatory(node: NodeHarness) -> None:
    show = production(node)
    venue = organisation(node, licence_number="")
    date = tour_date(node, show["id"])
    problem = post(node, "/api/contracts", _cession(show, venue, [date["id"]]), code=400)
    fields = {e["field"] for e in problem["errors"]}
    assert fields == {"body.producer_licence", "body.organiser_licence"}
    put(node, "/api/office/profile", PROFILE)
    given = post(
        node,
        "/api/contracts",
        _cession(show, venue, [date["id"]], organiser_licence=" platesv-r-2022 -  000009 "),
    )
    assert given["organiser_licence"] == "PLATESV-R-2022-000009"
    assert given["producer_licence"] == PROFILE["licence_number"]


def test_a_signed_cession_moves_its_dates_and_renders_as_html_and_pdf(node: NodeHarness) -> None:
    show, venue, date = _setup(node)
    second = tour_date(node, show["id"], starts_at="2026-03-15T15:00:00", venue_id=venue["id"])
    contract = post(node, "/api/contracts", _cession(show, venue, [date["id"], second["id"]]))
    assert contract["ticketing_holder"] == "organisateur" and contract["status"] == "draft"
    post(node, "/api/contracts", _cession(show, venue, [date["id"]]), code=409)
    html = node.client.get(
        f"/api/contracts/{contract['id']}/document.html", headers=node.headers("staff")
    ).text
    assert "Contrat de cession" in html and "4 500,00 €" in html
    assert "PLATESV-D-2020-000111" in html and "PLATESV-R-2021-001234" in html
    assert "14 mars 2026" in html and "15 mars 2026" in html and "320,50 €" in html
    pdf = node.client.get(
        f"/api/contracts/{contract['id']}/document.pdf", headers=node.headers("staff")
    )
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    signed = _with_version(
        node, f"/api/contracts/{contract['id']}/sign", {"signed_on": "2026-01-20"}, 1
    )
    assert signed["status"] == "signed"
    for d in (date, second):
        assert get(node, f"/api/tour-dates/{d['id']}")["stage"] == "contrat-signe"
    locked = patch(node, f"/api/contracts/{contract['id']}", {"fee": "1"}, version=2, code=409)
    assert "avenant" in locked["detail"]


def test_a_coréalisation_needs_its_share_and_ticket_price_and_is_settled(
    node: NodeHarness,
) -> None:
    show, venue, date = _setup(node)
    body = _cession(show, venue, [date["id"]], kind="coréalisation", fee=None, costs=[])
    problem = post(node, "/api/contracts", body, code=400)
    assert {e["field"] for e in problem["errors"]} == {"body.percentage", "body.ticket_price"}
    body |= {"percentage": 70, "ticket_price": "18.00", "minimum_guarantee": "1500"}
    contract = post(node, "/api/contracts", body)
    url = f"/api/contracts/{contract['id']}"
    _with_version(node, f"{url}/sign", {"signed_on": "2026-01-20"}, 1)
    early = _with_version(node, f"{url}/settlement", {"gross_receipts": "2110"}, 2, code=409)
    assert early["tour_date_ids"] == [date["id"]]
    _played(node, date["id"])
    settlement = _with_version(
        node,
        f"{url}/settlement",
        {
            "tickets_sold": 150,
            "gross_receipts": "2110.00",
            "deductions": [{"item": "SACD", "amount": "200.00"}],
            "deposit_paid": "1000",
            "paid_on": "2026-04-01",
        },
        2,
    )
    # 2110 / 1.055 = 2000.00; - 200 = 1800; × 70 % = 1260 < 1500 guaranteed; - 1000 deposit.
    assert settlement["due_to_producer"] == "500.00"
    assert settlement["lines"][1]["amount"] == "2000.00"
    assert get(node, f"/api/tour-dates/{date['id']}")["stage"] == "soldee"
    html = node.client.get(f"{url}/settlement.html", headers=node.headers("staff")).text
    assert "Décompte de coréalisation" in html and "500,00 €" in html
    pdf = node.client.get(f"{url}/settlement.pdf", headers=node.headers("staff"))
    assert pdf.content.startswith(b"%PDF")


def test_a_cession_balance_invoice_adds_reimbursed_costs(node: NodeHarness) -> None:
    show, venue, date = _setup(node, status="confirmed")
    contract = post(node, "/api/contracts", _cession(show, venue, [date["id"]]))
    url = f"/api/contracts/{contract['id']}"
    _with_version(node, f"{url}/sign", {"signed_on": "2026-01-20"}, 1)
    _played(node, date["id"])
    settlement = _with_version(node, f"{url}/settlement", {"deposit_paid": "1000"}, 2)
    assert settlement["kind"] == "facture de solde"
    assert settlement["due_to_producer"] == "3820.50"


def test_the_bureau_edits_its_contract_template_safely(node: NodeHarness) -> None:
    show, venue, date = _setup(node)
    contract = post(node, "/api/contracts", _cession(show, venue, [date["id"]]))
    default = get(node, "/api/office/templates/contrat")
    assert default["is_default"] is True and "Contrat de" in default["body"]
    own = "<h1>Notre contrat {{ contrat.organiser_name }}</h1><p>{{ contrat.rider }}</p>"
    put(node, "/api/office/templates/contrat", {"body": own})
    org = put(node, f"/api/organisations/{venue['id']}", {}, code=405)
    assert org["status"] == 405
    html = node.client.get(
        f"/api/contracts/{contract['id']}/document.html", headers=node.headers("staff")
    ).text
    assert html.startswith("<h1>Notre contrat Théâtre de la Croix-Rousse</h1>")
    broken = put(node, "/api/office/templates/contrat", {"body": "{% if %}"}, code=400)
    assert broken["errors"][0]["field"] == "body.body"
    sneaky = "{{ contrat.__class__.__mro__ }}"
    put(node, "/api/office/templates/contrat", {"body": sneaky})
    refused = node.client.get(
        f"/api/contracts/{contract['id']}/document.html", headers=node.headers("staff")
    )
    assert refused.status_code == 400
    gone = node.client.delete("/api/office/templates/contrat", headers=node.headers("staff"))
    assert gone.status_code == 204
    assert get(node, "/api/office/templates/contrat")["is_default"] is True
    missing = node.client.get("/api/office/templates/nope", headers=node.headers("staff"))
    assert missing.status_code == 404


def test_a_licence_number_outside_the_register_formats_is_refused_everywhere(
    node: NodeHarness,
) -> None:
    """« n'importe quoi » is refused on an organisation, the bureau's profile and a contract,
    with the field named and the `licence_format` code; nothing is stored."""
    refused = post(
        node, "/api/organisations", organisation_data(licence_number="n'importe quoi"), code=422
    )
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        ("body.licence_number", "licence_format")
    ]
    assert "PLATESV-R-2021-001234" in refused["errors"][0]["message"]
    assert get(node, "/api/organisations")["total"] == 0
    profile = put(node, "/api/office/profile", {**PROFILE, "licence_number": "12345"}, code=422)
    assert profile["errors"][0]["code"] == "licence_format"
    assert get(node, "/api/office/profile")["licence_number"] == ""
    put(node, "/api/office/profile", PROFILE)
    show, venue = production(node), organisation(node)
    date = tour_date(node, show["id"], venue_id=venue["id"])
    bad = _cession(show, venue, [date["id"]], organiser_licence="sans licence")
    problem = post(node, "/api/contracts", bad, code=422)
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("body.organiser_licence", "licence_format")
    ]
    assert get(node, "/api/contracts")["total"] == 0
