"""Budgets and settlements from the pages: a staff member reaches them by clicking from the
dashboard, enters estimate and actual lines, reads the margin and the tour's summary, exports
it as CSV, and settles a played coréalisation with a décompte as HTML and PDF."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import NodeHarness
from node.actors import Role
from tests.office import organisation, post, production, put, tour_date
from tests.web.pages import login, make_account, submit


@pytest.fixture
def staff(node: NodeHarness) -> TestClient:
    make_account(node, "claire", Role.staff)
    client = TestClient(node.app)
    login(client, "claire")
    return client


def _links(html: str) -> set[str]:
    return set(re.findall(r'href="([^"#]+)"', html))


def _stage(node: NodeHarness, date_id: str, to: str) -> None:
    current = node.client.get(f"/api/tour-dates/{date_id}", headers=node.headers("staff"))
    headers = {**node.headers("staff"), "If-Match": f'"{current.json()["version"]}"'}
    moved = node.client.post(f"/api/tour-dates/{date_id}/stage", json={"to": to}, headers=headers)
    assert moved.status_code == 200, moved.text


def _signed_contract(node: NodeHarness, pid: str, oid: str, date_id: str, **terms: Any) -> str:
    put(
        node,
        "/api/office/profile",
        {"legal_name": "Bureau", "licence_number": "PLATESV-D-2021-000001"},
    )
    body = {"production_id": pid, "organiser_id": oid, "tour_date_ids": [date_id], **terms}
    contract = post(node, "/api/contracts", body)
    headers = {**node.headers("staff"), "If-Match": f'"{contract["version"]}"'}
    signed = node.client.post(
        f"/api/contracts/{contract['id']}/sign", json={"signed_on": "2026-02-01"}, headers=headers
    )
    assert signed.status_code == 200, signed.text
    return str(contract["id"])


def test_a_dates_office_tabs_are_reached_by_clicking_from_the_dashboard(
    node: NodeHarness, staff: TestClient
) -> None:
    pid = production(node)["id"]
    date_id = tour_date(node, pid)["id"]
    assert "/productions" in _links(staff.get("/").text)
    assert f"/productions/{pid}" in _links(staff.get("/productions").text)
    show = _links(staff.get(f"/productions/{pid}").text)
    assert {f"/dates/{date_id}", f"/productions/{pid}/prospection"} <= show
    assert f"/productions/{pid}/budget" in show
    tabs = _links(staff.get(f"/dates/{date_id}").text)
    for tab in ("etapes", "equipe", "contrat", "feuille-de-route", "budget", "decompte"):
        assert f"/dates/{date_id}/{tab}" in tabs
        assert staff.get(f"/dates/{date_id}/{tab}").status_code == 200
    assert f"/dates/{date_id}/conformite" in tabs


def test_a_member_sees_only_the_stages_and_compliance_of_a_date(
    node: NodeHarness, staff: TestClient
) -> None:
    pid = production(node)["id"]
    date_id = tour_date(node, pid)["id"]
    make_account(node, "ines", Role.member)
    member = TestClient(node.app)
    login(member, "ines")
    links = _links(member.get(f"/dates/{date_id}").text)
    assert f"/dates/{date_id}/conformite" in links and f"/dates/{date_id}/budget" not in links
    assert member.get(f"/dates/{date_id}/budget").status_code == 403
    assert member.get(f"/productions/{pid}/budget").status_code == 403


def test_a_dates_budget_compares_estimate_and_actual_and_the_tour_sums_it_up(
    node: NodeHarness, staff: TestClient
) -> None:
    pid, oid = production(node)["id"], organisation(node)["id"]
    date_id = tour_date(node, pid, venue_id=oid)["id"]
    _signed_contract(node, pid, oid, date_id, kind="cession", fee="2500.00")
    page = f"/dates/{date_id}/budget"

    # A bad amount is explained next to its field, in French; nothing is written.
    refused = submit(
        staff,
        page,
        page,
        {"direction": "depense", "category": "transport", "label": "Train", "estimate": "beaucoup"},
        422,
    )
    assert re.search(r'id="f-estimate-err">Saisissez un montant', refused.text)
    assert "Train" not in staff.get(page).text.split('id="new-line"')[0]

    line = {"direction": "depense", "category": "transport", "label": "Train Paris–Lyon"}
    submit(staff, page, page, {**line, "estimate": "300,00"})
    html = staff.get(page).text
    assert "Train Paris–Lyon" in html and 'data-source="contract"' in html
    assert re.search(r'id="total-income">.*?2\D500,00', html, re.S)
    assert re.search(r'id="total-margin">.*?2\D200,00.*?partiel', html, re.S)

    # The actual cost, once known.
    line_id = re.search(r'action="/lignes-budget/([^/"]+)"', html)
    version = re.search(
        rf'action="/lignes-budget/{line_id.group(1) if line_id else ""}".*?'
        r'name="version" value="(\d+)"',
        html,
        re.S,
    )
    assert line_id and version
    submit(
        staff,
        page,
        f"/lignes-budget/{line_id.group(1)}",
        {"version": version.group(1), "label": "Train Paris–Lyon", "estimate": "", "actual": "320"},
    )
    html = staff.get(page).text
    assert re.search(r"<td>300,00\s€</td>\s*<td>320,00\s€</td>", html.replace("\u202f", " "))

    # A line of the whole tour, then the summary and its CSV.
    tour = f"/productions/{pid}/budget"
    submit(
        staff,
        tour,
        tour,
        {"direction": "recette", "category": "subvention", "label": "Aide", "estimate": "1000"},
    )
    html = staff.get(tour).text
    assert f'href="/dates/{date_id}/budget"' in html and "Aide" in html
    assert re.search(r'id="total-margin">.*?3\D200,00', html, re.S)
    assert f"/productions/{pid}/budget.csv" in html
    export = staff.get(f"/productions/{pid}/budget.csv")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = export.content.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("date;ville;sens") and rows[-1].startswith("total;")
    assert any("Train Paris–Lyon" in r and "320,00" in r for r in rows)

    # Deleting a line.
    submit(staff, page, f"/lignes-budget/{line_id.group(1)}/supprimer", {"version": "2"})
    assert "Train Paris–Lyon" not in staff.get(page).text


def test_a_played_coréalisation_is_settled_from_its_page(
    node: NodeHarness, staff: TestClient
) -> None:
    pid, oid = production(node)["id"], organisation(node)["id"]
    date_id = tour_date(node, pid, venue_id=oid, contract_type="coréalisation")["id"]
    _stage(node, date_id, "confirmee")
    contract_id = _signed_contract(
        node,
        pid,
        oid,
        date_id,
        kind="coréalisation",
        percentage=60,
        minimum_guarantee="500.00",
        ticket_price="15.00",
    )
    page = f"/dates/{date_id}/decompte"
    assert "Marquer la date « jouée »" in staff.get(page).text
    body = {
        "tickets_sold": "200",
        "gross_receipts": "3 165,00",
        "vat_rate": "5,5",
        "deductions": "Droits d'auteur SACD | 300,00",
        "deposit_paid": "",
        "paid_on": "",
    }
    action = f"/contrats/{contract_id}/decompte"

    def version() -> str:
        found = re.search(r'name="version" value="(\d+)"', staff.get(page).text)
        assert found
        return found.group(1)

    refused = submit(staff, page, action, {**body, "version": version()}, 422)
    assert "marquez d'abord la date « jouée »" in unescape(refused.text)
    _stage(node, date_id, "jouee")
    refused = submit(
        staff, page, action, {**body, "gross_receipts": "-4", "version": version()}, 422
    )
    assert 'id="f-gross_receipts-err"' in refused.text

    submit(staff, page, action, {**body, "version": version()})
    html = staff.get(page).text.replace("\u202f", " ").replace("\xa0", " ")
    # 3 165 TTC → 3 000 HT, less 300 → 2 700, × 60 % = 1 620 (over the 500 guarantee).
    assert re.search(r'id="settlement-due">1 620,00 €', html)
    assert "Solde pas encore payé" in html
    document = staff.get(f"/contrats/{contract_id}/decompte.html")
    assert document.status_code == 200 and "Décompte de coréalisation" in document.text
    pdf = staff.get(f"/contrats/{contract_id}/decompte.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # Paid: the date is settled, and its compliance line is done.
    submit(staff, page, action, {**body, "paid_on": "2026-03-20", "version": version()})
    assert "Soldée" in staff.get(f"/dates/{date_id}/etapes").text
    compliance = staff.get(f"/dates/{date_id}/conformite?jour=2026-03-21").text
    assert 'class="duty duty-done" data-code="decompte"' in compliance
