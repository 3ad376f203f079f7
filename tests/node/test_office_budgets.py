"""Budgets: lines per date and tour, salaries at employer cost, contract share, CSV."""

from __future__ import annotations

import csv
import io

from conftest import NodeHarness
from tests.office import get, member, organisation, patch, post, production, put, tour_date


def test_a_date_budget_adds_salaries_and_contract_income_to_entered_lines(
    node: NodeHarness,
) -> None:
    put(node, "/api/office/profile", {"legal_name": "Archipel", "licence_number": "L-D-19-1"})
    put(node, "/api/office/employer-rates", {"artiste": 0.45, "technicien": 0.4})
    show = production(node)
    venue = organisation(node)
    first = tour_date(node, show["id"], venue_id=venue["id"])
    second = tour_date(node, show["id"], starts_at="2026-03-15T20:30:00")
    contract = {
        "production_id": show["id"],
        "organiser_id": venue["id"],
        "tour_date_ids": [first["id"], second["id"]],
        "fee": "6000",
    }
    post(node, "/api/contracts", contract)
    lea = member(node)
    body = {
        "member_id": lea["id"],
        "profession": "Artiste dramatique",
        "annexe": "I",
        "cachets": 1,
        "gross_pay": "200",
    }
    post(node, f"/api/tour-dates/{first['id']}/engagements", body)
    line = {"production_id": show["id"], "tour_date_id": first["id"], "direction": "depense"}
    train = post(node, "/api/budget-lines", line | {"category": "transport", "estimate": "300"})
    patch(node, f"/api/budget-lines/{train['id']}", {"actual": "280.40"}, version=1)
    post(node, "/api/budget-lines", line | {"category": "hebergement", "estimate": "240"})
    budget = get(node, f"/api/tour-dates/{first['id']}/budget")
    by_source = {(x["source"], x["category"]): x for x in budget["lines"]}
    # 200 × (1 + 0.45 + 0.155 Congés Spectacles)
    assert by_source[("engagements", "salaires")]["estimate"] == "321.00"
    assert by_source[("contract", "cession")]["estimate"] == "3000.00"
    assert budget["income"]["estimate"] == "3000.00"
    assert budget["costs"]["estimate"] == "861.00"
    assert budget["margin"]["estimate"] == "2139.00"
    assert budget["costs"]["actual"] == "280.40" and budget["costs"]["actual_complete"] is False


def test_the_tour_summary_spans_dates_and_tour_lines_and_exports_csv(node: NodeHarness) -> None:
    show = production(node)
    first = tour_date(node, show["id"])
    tour_date(node, show["id"], starts_at="2026-03-20T20:30:00", status="cancelled")
    post(
        node,
        "/api/budget-lines",
        {
            "production_id": show["id"],
            "direction": "recette",
            "category": "subvention",
            "label": "Aide à la diffusion",
            "estimate": "2000",
            "actual": "2000",
        },
    )
    post(
        node,
        "/api/budget-lines",
        {
            "production_id": show["id"],
            "tour_date_id": first["id"],
            "direction": "depense",
            "category": "technique",
            "estimate": "500",
        },
    )
    summary = get(node, f"/api/productions/{show['id']}/budget")
    assert [d["tour_date_id"] for d in summary["dates"]] == [first["id"]]
    assert summary["margin"]["estimate"] == "1500.00"
    assert summary["margin"]["actual"] == "2000.00"
    text = node.client.get(
        f"/api/productions/{show['id']}/budget.csv", headers=node.headers("staff")
    ).text
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["date", "ville", "sens"]
    assert ["2026-03-14", "Valence", "depense", "technique", "", "manual", "500,00", ""] in rows
    assert rows[-1] == ["total", "", "marge", "", "", "", "1500,00", "2000,00"]


def test_a_line_must_belong_to_the_productions_dates(node: NodeHarness) -> None:
    show, other = production(node), production(node, title="Autre")
    date = tour_date(node, other["id"])
    line = {
        "production_id": show["id"],
        "tour_date_id": date["id"],
        "direction": "depense",
        "category": "autre",
    }
    post(node, "/api/budget-lines", line, code=400)
