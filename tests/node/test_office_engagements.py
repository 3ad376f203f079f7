"""Engagements: the DPAE window, the numéro d'objet, minimum-pay grids, payroll export, states."""

from __future__ import annotations

import csv
import io
from datetime import date as date_type
from datetime import timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from conftest import NodeHarness
from node.cli import app as cli
from node.services import paygrids
from tests.office import get, member, patch, post, production, put, tour_date

GRID = """# a test grid
convention;annexe;category;profession;basis;minimum;valid_from;source
idcc-3090;I;artiste;*;cachet;120,00;2026-01-01;test grid
idcc-3090;I;technicien;*;heure;15;2026-01-01;test grid
idcc-3090;I;technicien;Régisseur général;cachet;200;2026-01-01;test grid
idcc-3090;I;artiste;*;cachet;130,00;2026-06-01;test grid, later
"""


def _load(node: NodeHarness, text: str = GRID, code: int = 200) -> Any:
    response = node.client.put(
        "/api/pay-grids",
        content=text.encode(),
        headers={**node.headers("staff"), "Content-Type": "text/csv"},
    )
    assert response.status_code == code, response.text
    return response.json()


def _engage(node: NodeHarness, date_id: str, member_id: str, code: int = 201, **over: Any) -> Any:
    body = {
        "member_id": member_id,
        "role": "Comédienne",
        "profession": "Artiste dramatique",
        "category": "artiste",
        "convention": "idcc-3090",
        "annexe": "I",
        "pay_basis": "cachet",
        "cachets": 1,
        "gross_pay": "150.00",
        "rehearsal_days": ["2026-03-12", "2026-03-13"],
    }
    body.update(over)
    return post(node, f"/api/tour-dates/{date_id}/engagements", body, code=code)


def test_three_members_are_engaged_with_their_dpae_window_and_object_number(
    node: NodeHarness,
) -> None:
    _load(node)
    show = production(node)
    put(
        node,
        f"/api/productions/{show['id']}/object-number",
        {"object_number": "  OBJ-2026-0042 ", "version": show["version"]},
    )
    date = tour_date(node, show["id"])
    lea, sam, noor = (
        member(node),
        member(node, display_name="Sam"),
        member(node, display_name="Noor"),
    )
    actress = _engage(node, date["id"], lea["id"])
    assert actress["first_working_day"] == "2026-03-12"
    assert actress["dpae_window"] == {"earliest": "2026-03-04", "latest": "2026-03-12"}
    assert actress["object_number"] == "OBJ-2026-0042"
    assert actress["pay_check"] == {
        "status": "ok",
        "per_unit": "150.00",
        "minimum": "120.00",
        "grid_source": "test grid",
    }
    tech = _engage(
        node,
        date["id"],
        sam["id"],
        category="technicien",
        profession="Régisseur son",
        pay_basis="heures",
        cachets=0,
        hours=10,
        gross_pay="160",
        rehearsal_days=[],
    )
    assert tech["pay_check"]["minimum"] == "15.00" and tech["first_working_day"] == "2026-03-14"
    boss = _engage(
        node,
        date["id"],
        noor["id"],
        category="technicien",
        profession="regisseur  GÉNÉRAL",
        gross_pay="210",
    )
    assert boss["pay_check"]["minimum"] == "200.00"
    team = get(node, f"/api/tour-dates/{date['id']}/engagements")
    assert len(team["items"]) == team["total"] == 3


def test_pay_under_the_grid_is_refused_and_a_missing_grid_is_flagged(node: NodeHarness) -> None:
    date = tour_date(node, production(node)["id"])
    lea = member(node)
    unchecked = _engage(node, date["id"], lea["id"], gross_pay="10")
    assert unchecked["pay_check"]["status"] == "no-grid"
    _load(node)
    refused = _engage(node, date["id"], lea["id"], gross_pay="220", cachets=2, code=400)
    assert refused["pay_check"]["minimum"] == "120.00"
    assert refused["errors"][0]["field"] == "body.gross_pay"
    later = tour_date(node, production(node, title="Autre")["id"], starts_at="2026-07-01T20:00:00")
    _engage(node, later["id"], lea["id"], gross_pay="125", rehearsal_days=[], code=400)
    moved = patch(node, f"/api/engagements/{unchecked['id']}", {"gross_pay": "121"}, version=1)
    assert moved["pay_check"]["status"] == "ok"
    wrong = _engage(node, date["id"], lea["id"], convention="idcc-1285", code=422)
    assert wrong["status"] == 422


def test_a_bad_grid_is_refused_whole_with_every_error(node: NodeHarness) -> None:
    bad = (
        "convention,annexe,category,profession,basis,minimum,valid_from\n"
        "idcc-9999,I,,*,jour,abc,demain\n"
    )
    problem = _load(node, bad, code=400)
    fields = {e["field"] for e in problem["errors"]}
    assert {"line 2.convention", "line 2.basis", "line 2.minimum", "line 2.valid_from"} <= fields
    assert get(node, "/api/pay-grids")["items"] == []


def test_the_example_grid_loads_and_says_it_is_an_example(node: NodeHarness) -> None:
    text = node.client.get("/api/pay-grids/example.csv", headers=node.headers("staff")).text
    assert "CHIFFRES FICTIFS" in text
    report = _load(node, text)
    assert report["example"] is True and report["rows"] == len(paygrids.parse_grid(text))


def test_payroll_export_has_one_row_per_contract_and_states_come_back(node: NodeHarness) -> None:
    _load(node)
    show = production(node)
    put(
        node,
        f"/api/productions/{show['id']}/object-number",
        {"object_number": "OBJ-1", "version": show["version"]},
    )
    first = tour_date(node, show["id"])
    second = tour_date(node, show["id"], starts_at="2026-03-15T20:30:00")
    lea = member(node, display_name="Léa Martin")
    one = _engage(node, first["id"], lea["id"])
    two = _engage(node, second["id"], lea["id"], rehearsal_days=[])
    response = node.client.get(
        "/api/payroll/export.csv",
        params={"production_id": show["id"]},
        headers=node.headers("staff"),
    )
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")), delimiter=";"))
    assert [r["engagement_id"] for r in rows] == [one["id"], two["id"]]
    assert rows[0]["salarie"] == "Léa Martin" and rows[0]["numero_objet"] == "OBJ-1"
    assert rows[0]["brut"] == "150,00" and rows[0]["dpae_au_plus_tot"] == "2026-03-04"
    reported = post(
        node,
        "/api/payroll/states",
        [
            {
                "engagement_id": one["id"],
                "dpae_sent_on": "2026-03-05",
                "cddu_signed_on": "2026-03-06",
            },
            {"engagement_id": two["id"], "dpae_sent_on": "2026-03-07"},
        ],
        code=200,
    )
    assert [r["dpae_sent_on"] for r in reported] == ["2026-03-05", "2026-03-07"]
    post(
        node,
        "/api/payroll/states",
        [{"engagement_id": "nope", "aem_issued_on": "2026-04-01"}],
        code=400,
    )
    version = get(node, f"/api/engagements/{one['id']}")["version"]
    states = node.client.patch(
        f"/api/engagements/{one['id']}/states",
        json={"aem_issued_on": "2026-04-10", "conges_certificate_on": "2026-03-14"},
        headers={**node.headers("staff"), "If-Match": f'"{version}"'},
    ).json()
    assert states["aem_issued_on"] == "2026-04-10" and states["dpae_sent_on"] == "2026-03-05"
    ahead = (date_type.today() + timedelta(days=3)).isoformat()
    future = node.client.patch(
        f"/api/engagements/{one['id']}/states",
        json={"dpae_sent_on": ahead, "version": version + 1},
        headers=node.headers("staff"),
    )
    assert future.status_code == 422, future.text
    assert [(e["field"], e["code"]) for e in future.json()["errors"]] == [
        ("body.dpae_sent_on", "date_in_future")
    ]
    assert get(node, f"/api/engagements/{one['id']}")["dpae_sent_on"] == "2026-03-05"


def test_moving_a_date_moves_the_dpae_window(node: NodeHarness) -> None:
    date = tour_date(node, production(node)["id"])
    row = _engage(node, date["id"], member(node)["id"], rehearsal_days=[])
    patch(node, f"/api/tour-dates/{date['id']}", {"starts_at": "2026-04-02T20:00:00"}, version=1)
    moved = get(node, f"/api/engagements/{row['id']}")
    assert moved["first_working_day"] == "2026-04-02"


def test_members_do_not_see_pay(node: NodeHarness) -> None:
    date = tour_date(node, production(node)["id"])
    lea = member(node)
    refused = node.client.get(
        f"/api/tour-dates/{date['id']}/engagements", headers=node.as_member(lea["id"])
    )
    assert refused.status_code == 403


def test_the_cli_loads_a_grid_and_exports_payroll(tmp_path: Path, db_url: str) -> None:
    runner = CliRunner()
    home = str(tmp_path / "lyon")
    init = ["init", "--slug", "lyon", "--name", "Lyon", "--territory", "", "--url", "http://x.test"]
    assert runner.invoke(cli, ["--home", home, *init, "--db", db_url]).exit_code == 0
    grid = tmp_path / "grille.csv"
    grid.write_text(paygrids.example_grid(), encoding="utf-8")
    loaded = runner.invoke(cli, ["--home", home, "office", "load-grid", str(grid)])
    assert loaded.exit_code == 0, loaded.output
    assert "EXAMPLE" in loaded.stderr and "Loaded 9" in loaded.stdout
    exported = runner.invoke(cli, ["--home", home, "office", "export-payroll"])
    assert exported.exit_code == 0 and "numero_objet" in exported.stdout
