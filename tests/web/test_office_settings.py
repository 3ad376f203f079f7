"""The office's settings from the pages: the bureau's profile (its licence lands on contracts),
employer rates (they drive the budget's salary estimate), the pay grid (upload, refusals
explained line by line, the example flagged) and the editable document templates."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from conftest import NodeHarness
from node.actors import Role
from node.services import paygrids
from tests.office import get, member, organisation, post, production, tour_date
from tests.web.pages import csrf_of, login, make_account, submit


@pytest.fixture
def staff(node: NodeHarness) -> TestClient:
    make_account(node, "claire", Role.staff)
    client = TestClient(node.app)
    login(client, "claire")
    return client


def test_the_settings_pages_are_linked_from_the_office_home(staff: TestClient) -> None:
    home = staff.get("/bureau").text
    for href in ("/bureau/profil", "/bureau/grille", "/bureau/modeles", "/bureau/doublons"):
        assert f'href="{href}"' in home
        assert staff.get(href).status_code == 200


def test_the_profile_feeds_the_contracts_licence_and_the_rates_the_salary_estimate(
    node: NodeHarness, staff: TestClient
) -> None:
    page = "/bureau/profil"
    too_long = {"legal_name": "Bureau", "licence_number": "X" * 61, "siret": "", "address": ""}
    refused = submit(staff, page, page, too_long, 422)
    assert re.search(r'id="f-licence_number-err">Trop long : 60 caractères au plus', refused.text)
    submit(
        staff,
        page,
        page,
        {
            "legal_name": "Coopérative Archipel Lyon",
            "licence_number": "PLATESV-D-2024-000999",
            "siret": "123 456 789 00012",
            "address": "1 place Sathonay",
            "city": "Lyon",
            "signatory": "Camille Durand, gérante",
        },
    )
    assert get(node, "/api/office/profile")["licence_number"] == "PLATESV-D-2024-000999"
    assert "PLATESV-D-2024-000999" in staff.get(page).text
    pid, oid = production(node)["id"], organisation(node)["id"]
    date_id = tour_date(node, pid)["id"]
    contract = staff.get(f"/dates/{date_id}/contrat").text
    assert 'value="PLATESV-D-2024-000999"' in contract  # the producer's licence, prefilled
    assert oid

    # Rates, typed as percentages; a wrong one is refused in French.
    refused = submit(staff, page, "/bureau/taux", {"artiste": "beaucoup", "technicien": "42"}, 422)
    assert re.search(r'id="f-artiste-err">Saisissez un nombre', refused.text)
    submit(
        staff,
        page,
        "/bureau/taux",
        {"artiste": "50", "technicien": "42,5", "conges_spectacles": "15,5"},
    )
    assert get(node, "/api/office/employer-rates") == {
        "artiste": 0.5,
        "technicien": 0.425,
        "conges_spectacles": 0.155,
    }
    assert 'value="42,5"' in staff.get(page).text
    ines = member(node)["id"]
    post(
        node,
        f"/api/tour-dates/{date_id}/engagements",
        {
            "member_id": ines,
            "profession": "Artiste dramatique",
            "category": "artiste",
            "convention": "idcc-3090",
            "annexe": "I",
            "pay_basis": "cachet",
            "cachets": 1,
            "gross_pay": "200.00",
        },
    )
    budget = staff.get(f"/dates/{date_id}/budget").text.replace("\u202f", " ")
    assert "331,00" in budget  # 200 × (1 + 0.50 + 0.155)


def test_a_pay_grid_is_uploaded_refused_line_by_line_and_the_example_flagged(
    node: NodeHarness, staff: TestClient
) -> None:
    page = "/bureau/grille"
    assert "Aucune grille chargée" in staff.get(page).text
    example = staff.get("/bureau/grille/exemple.csv")
    assert example.status_code == 200 and "EXEMPLE" in example.text

    bad = example.text.replace(
        'idcc-3090,I,artiste,*,cachet,"100,00"', 'idcc-9999,I,artiste,*,cachet,"cent"'
    )
    refused = submit(staff, page, page, {"grid_text": bad}, 422)
    text = unescape(refused.text)
    assert "La grille contient des erreurs ; rien n'a été chargé." in text
    assert "Ligne 2, colonne « convention » : attendu idcc-3090 ou idcc-1285." in text
    assert "Ligne 2, colonne « minimum »" in text
    assert get(node, "/api/pay-grids")["items"] == []

    token = csrf_of(staff.get(page).text)
    uploaded = staff.post(
        page,
        data={"csrf_token": token},
        files={"grid_file": ("grille.csv", paygrids.example_grid().encode(), "text/csv")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303, uploaded.text
    html = staff.get(page).text
    assert 'id="grid-example"' in html and "Régisseur général" in html
    grid = get(node, "/api/pay-grids", limit=500)
    assert grid["total"] == len(grid["items"]) == html.count("<tr><td>IDCC-")

    own = (
        "convention;annexe;category;profession;basis;minimum;valid_from;source\n"
        "idcc-3090;I;artiste;*;cachet;120,50;2026-01-01;Avenant salaires 2026\n"
    )
    submit(staff, page, page, {"grid_text": own})
    html = staff.get(page).text
    assert 'id="grid-example"' not in html and "Avenant salaires 2026" in html
    assert submit(staff, page, page, {"grid_text": " "}, 422).text.count("Choisissez un fichier")


def test_a_template_is_edited_refused_when_broken_and_reset(
    node: NodeHarness, staff: TestClient
) -> None:
    listing = staff.get("/bureau/modeles").text
    assert 'href="/bureau/modeles/contrat"' in listing
    page = "/bureau/modeles/decompte"
    assert "Modèle livré avec Archipel" in staff.get(page).text
    refused = submit(staff, page, page, {"body": "<h1>{{ spectacle.title </h1>"}, 422)
    assert 'id="f-body-err">Le modèle ne peut pas être compilé' in unescape(refused.text)
    assert "{{ spectacle.title </h1>" in unescape(refused.text)  # the text is kept
    assert submit(staff, page, page, {"body": ""}, 422).text.count("Ce champ est obligatoire")
    submit(staff, page, page, {"body": "<h1>Solde {{ decompte.due_to_producer | euros }}</h1>"})
    html = staff.get(page).text
    assert "Modèle du bureau (modifié par claire)" in html
    assert get(node, "/api/office/templates/decompte")["is_default"] is False
    submit(staff, page, f"{page}/reinitialiser", {})
    assert get(node, "/api/office/templates/decompte")["is_default"] is True
    assert staff.get("/bureau/modeles/inconnu").status_code == 404


def test_a_member_cannot_open_the_settings(node: NodeHarness) -> None:
    make_account(node, "ines", Role.member)
    client = TestClient(node.app)
    login(client, "ines")
    for href in ("/bureau/profil", "/bureau/grille", "/bureau/modeles/contrat", "/bureau/doublons"):
        assert client.get(href).status_code == 403
