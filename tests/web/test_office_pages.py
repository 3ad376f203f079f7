"""The production office from the pages: a staff member takes a production from prospection to a
signed cession contract, engages the team with the minimum-pay check, shares the day sheet,
watches the date's compliance page go green and exports the engagements for payroll."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient

from conftest import NodeHarness
from factories import member_data, organisation_data, production_data
from node.actors import Role
from node.services import paygrids
from tests.web.pages import csrf_of, login, make_account

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def staff(node: NodeHarness) -> TestClient:
    make_account(node, "claire", Role.staff)
    client = TestClient(node.app)
    login(client, "claire")
    return client


def _post(
    client: TestClient, page: str, action: str, data: dict[str, str], code: int = 303
) -> httpx.Response:
    """Open `page`, post its form to `action` with the page's CSRF token, check the status."""
    token = csrf_of(client.get(page).text)
    response = client.post(action, data={"csrf_token": token, **data}, follow_redirects=False)
    assert response.status_code == code, response.text
    return response


def _version_in(html: str, action: str) -> str:
    """The version the form posting to `action` carries (its hidden `version` field)."""
    form = re.search(rf'action="{re.escape(action)}".*?</form>', html, re.S)
    assert form, action
    found = re.search(r'name="version" value="(\d+)"', form.group(0))
    assert found, form.group(0)
    return found.group(1)


def _id_after(location: str, prefix: str) -> str:
    found = re.match(rf"{re.escape(prefix)}([^/?]+)", location)
    assert found, location
    return found.group(1)


def _setup(node: NodeHarness) -> dict[str, str]:
    """What the bureau already has: a show, an organiser, three members, its pay grid."""
    headers = node.headers("staff")
    ids: dict[str, str] = {}
    made = node.client.post("/api/productions", json=production_data(), headers=headers)
    ids["production"] = made.json()["id"]
    made = node.client.post("/api/organisations", json=organisation_data(), headers=headers)
    ids["organisation"] = made.json()["id"]
    for key, name in (("ines", "Inès Faure"), ("paul", "Paul Martin"), ("zoe", "Zoé Leroy")):
        body = member_data(display_name=name, email=f"{key}@example.org")
        ids[key] = node.client.post("/api/members", json=body, headers=headers).json()["id"]
    grid = node.client.put(
        "/api/pay-grids",
        content=paygrids.example_grid().encode(),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert grid.status_code == 200, grid.text
    return ids


def _compliance(client: TestClient, date_id: str) -> str:
    response = client.get(f"/dates/{date_id}/conformite")
    assert response.status_code == 200, response.text
    return response.text


def _state_of(html: str, code: str) -> list[str]:
    return re.findall(rf'class="duty duty-([a-z-]+)" data-code="{code}"', html)


def test_from_prospection_to_a_signed_contract_a_green_date_and_the_payroll_export(
    node: NodeHarness, staff: TestClient
) -> None:
    ids = _setup(node)
    pid, oid = ids["production"], ids["organisation"]

    # Prospection: add the theatre, see it in its column, move it along, log a call.
    _post(
        staff,
        f"/productions/{pid}/prospection",
        f"/productions/{pid}/prospection",
        {"organisation_id": oid, "status": "a-contacter", "next_action": "Appeler Hélène"},
    )
    page = staff.get(f"/productions/{pid}/prospection").text
    assert "Théâtre de la Croix-Rousse" in page and "Appeler Hélène" in page
    prospection = re.search(r'action="/prospection/([^"]+)"', page)
    assert prospection
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version
    _post(
        staff,
        f"/productions/{pid}/prospection",
        f"/prospection/{prospection.group(1)}",
        {
            "version": version.group(1),
            "status": "confirme",
            "next_action": "Envoyer le contrat",
            "next_action_on": date.today().isoformat(),
        },
    )
    page = staff.get(f"/productions/{pid}/prospection").text
    confirmed = page.split('id="col-confirme"')[1].split("</section>")[0]
    assert "Théâtre de la Croix-Rousse" in confirmed
    _post(
        staff,
        f"/organisations/{oid}/echanges",
        f"/organisations/{oid}/echanges",
        {"kind": "appel", "production_id": pid, "text": "Hélène confirme le 14."},
    )
    assert "Hélène confirme le 14." in staff.get(f"/organisations/{oid}/echanges").text

    # The date, in five days, at the theatre.
    day = datetime.now(PARIS).date() + timedelta(days=5)
    created = _post(
        staff,
        "/dates/nouvelle",
        "/dates/nouvelle",
        {
            "production_id": pid,
            "starts_at": f"{day.isoformat()}T20:30",
            "venue_id": oid,
            "city": "Lyon",
            "status": "option",
            "contract_type": "cession",
        },
    )
    date_id = _id_after(created.headers["location"], "/dates/")
    html = _compliance(staff, date_id)
    assert 'id="compliance-state"' in html and "Tout est en ordre" not in html
    assert _state_of(html, "contrat") == ["pending"]

    # Stages: cancelling needs a reason; confirming works.
    stages = f"/dates/{date_id}/etapes"
    page = staff.get(stages).text
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version
    refused = _post(
        staff, stages, stages, {"to": "annulee", "reason": "", "version": version.group(1)}, 422
    )
    assert re.search(r'id="f-reason-err">Indiquez le motif', refused.text)
    _post(staff, stages, stages, {"to": "confirmee", "version": version.group(1)})
    page = staff.get(stages).text
    assert "Confirmée" in page and "Marquer « contrat signé »" in page

    # The contract: a missing licence is explained by the field, then drafted, read, signed.
    contract_page = f"/dates/{date_id}/contrat"
    terms = {"organiser_id": oid, "kind": "cession", "fee": "2 500,00", "producer_licence": ""}
    refused = _post(staff, contract_page, contract_page, terms, 422)
    assert re.search(r'id="f-producer_licence-err">Numéro de licence obligatoire', refused.text)
    _post(
        staff,
        contract_page,
        contract_page,
        {**terms, "producer_licence": "PLATESV-D-2024-000777", "sign_by": day.isoformat()},
    )
    page = staff.get(contract_page).text
    contract_id = re.search(r'href="/contrats/([^/]+)/contrat.pdf"', page)
    assert contract_id and "Brouillon" in page
    document = staff.get(f"/contrats/{contract_id.group(1)}/contrat.html")
    assert document.status_code == 200
    assert "PLATESV-D-2024-000777" in document.text and "PLATESV-R-2021-001234" in document.text
    pdf = staff.get(f"/contrats/{contract_id.group(1)}/contrat.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version
    _post(
        staff,
        contract_page,
        f"/contrats/{contract_id.group(1)}/signer",
        {"signed_on": date.today().isoformat(), "version": version.group(1)},
    )
    page = staff.get(contract_page).text
    assert 'id="contract-status">Signé' in page and "Contrat signé" in page
    html = _compliance(staff, date_id)
    assert _state_of(html, "contrat") == ["done"] and _state_of(html, "licences") == ["done"]
    assert _state_of(html, "numero-objet") == ["pending"]
    assert _state_of(html, "sibil") == ["not-applicable"]

    # The team: under the grid is refused next to the salary; three members engaged.
    team = f"/dates/{date_id}/equipe"
    artist = {
        "role": "Comédienne",
        "profession": "Artiste dramatique",
        "category": "artiste",
        "convention": "idcc-3090",
        "annexe": "I",
        "pay_basis": "cachet",
        "cachets": "1",
        "hours": "0",
        "rehearsal_days": "",
    }
    refused = _post(staff, team, team, {**artist, "member_id": ids["ines"], "gross_pay": "80"}, 422)
    assert re.search(r'id="f-gross_pay-err">Refusé : 80.00 € par cachet', refused.text)
    assert "100.00" in refused.text
    rehearsal = (day - timedelta(days=1)).isoformat()
    _post(
        staff,
        team,
        team,
        {**artist, "member_id": ids["ines"], "gross_pay": "250,00", "rehearsal_days": rehearsal},
    )
    _post(staff, team, team, {**artist, "member_id": ids["paul"], "gross_pay": "250"})
    technician = {
        **artist,
        "role": "Régie son",
        "profession": "Régisseur son",
        "category": "technicien",
        "pay_basis": "heures",
        "cachets": "0",
        "hours": "10",
    }
    _post(staff, team, team, {**technician, "member_id": ids["zoe"], "gross_pay": "200"})
    page = staff.get(team).text
    assert page.count('class="dpae-window"') == 3
    assert "Inès Faure" in page and "Paul Martin" in page and "Zoé Leroy" in page
    html = _compliance(staff, date_id)
    assert _state_of(html, "cddu") == ["pending"] * 3
    assert _state_of(html, "dpae") == ["pending"] * 3

    # The dashboard shows what would be overdue the day after the date.
    later = (day + timedelta(days=1)).isoformat()
    dashboard = staff.get(f"/?jour={later}").text
    assert "obligations en retard" in dashboard and f"/dates/{date_id}/conformite" in dashboard

    # Compliance goes green step by step: numéro d'objet, then each CDDU and DPAE.
    action = f"/dates/{date_id}/numero-objet"
    version = _version_in(staff.get(team).text, action)
    _post(staff, team, action, {"object_number": "OBJ-2026-42", "version": version})
    assert _state_of(_compliance(staff, date_id), "numero-objet") == ["done"]
    engagement_ids = re.findall(r'action="/engagements/([^/]+)/etats"', staff.get(team).text)
    assert len(engagement_ids) == 3
    remaining = []
    for engagement_id in engagement_ids:
        action = f"/engagements/{engagement_id}/etats"
        today = date.today().isoformat()
        version = _version_in(staff.get(team).text, action)
        _post(
            staff,
            team,
            action,
            {"cddu_signed_on": today, "dpae_sent_on": today, "version": version},
        )
        html = _compliance(staff, date_id)
        remaining.append(len(_state_of(html, "cddu")) - _state_of(html, "cddu").count("done"))
    assert remaining == [2, 1, 0]
    assert "Tout est en ordre pour cette date" in html
    assert f"/dates/{date_id}/conformite" not in staff.get("/").text

    # The day sheet: edited, shared without an account, internal notes never shown, revoked.
    sheet = f"/dates/{date_id}/feuille-de-route"
    _post(
        staff,
        sheet,
        sheet,
        {
            "schedule": "14:00 | Montage | technique\n20:30 | Représentation",
            "places": "Théâtre | 4 rue Anselme, Lyon | 10 min",
            "contacts": "Hélène Roux | accueil | 04 00 00 00 00",
            "internal_notes": "Négocier le catering",
            "version": _version_in(staff.get(sheet).text, sheet),
        },
    )
    shared = _post(staff, sheet, f"{sheet}/liens", {"audience": "equipe"}, 200)
    link = re.search(r'id="new-link" type="text" readonly value="([^"]+)"', shared.text)
    assert link
    path = link.group(1).removeprefix("http://testserver")
    anonymous = TestClient(node.app)
    opened = anonymous.get(path)
    assert opened.status_code == 200
    assert "Représentation" in opened.text and "Négocier le catering" not in opened.text
    assert "Montage" not in opened.text  # the team version leaves technical lines out
    link_id = re.search(r'action="/feuilles-de-route/liens/([^/]+)/revoquer"', shared.text)
    assert link_id
    _post(staff, sheet, f"/feuilles-de-route/liens/{link_id.group(1)}/revoquer", {})
    assert anonymous.get(path).status_code == 404

    # Payroll: one row per contract, with the numéro d'objet.
    office = staff.get("/bureau")
    assert office.status_code == 200 and "/bureau/paie.csv" in office.text
    export = staff.get("/bureau/paie.csv", params={"production": pid})
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    lines = export.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 4
    assert all("OBJ-2026-42" in line for line in lines[1:])


def test_a_member_cannot_open_the_office_pages_but_logs_an_exchange(
    node: NodeHarness, staff: TestClient
) -> None:
    ids = _setup(node)
    make_account(node, "ines", Role.member, member_id=ids["ines"])
    member = TestClient(node.app)
    login(member, "ines")
    assert member.get("/bureau").status_code == 403
    assert "/bureau" not in member.get("/").text.split("<main")[0]
    oid = ids["organisation"]
    _post(
        member,
        f"/organisations/{oid}/echanges",
        f"/organisations/{oid}/echanges",
        {
            "kind": "note",
            "text": "Vu la programmatrice au festival.",
        },
    )
    assert "Vu la programmatrice au festival." in staff.get(f"/organisations/{oid}/echanges").text


def test_the_office_pages_speak_english_too(node: NodeHarness, staff: TestClient) -> None:
    ids = _setup(node)
    staff.cookies.set("archipel_lang", "en")
    page = staff.get(f"/productions/{ids['production']}/prospection")
    assert page.status_code == 200
    assert "To contact" in page.text and "Add to prospection" in page.text
