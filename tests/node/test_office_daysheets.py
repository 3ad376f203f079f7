"""Day sheets: team and technical versions, no internal notes out, PDF, revocable links."""

from __future__ import annotations

from typing import Any

from conftest import NodeHarness
from tests.office import get, member, organisation, post, production, put, tour_date

SHEET: dict[str, Any] = {
    "schedule": [
        {"time": "14:00", "label": "Déchargement et montage", "technical": True},
        {"time": "18:30", "label": "Filage"},
        {"time": "20:30", "label": "Représentation"},
    ],
    "places": [
        {"label": "Théâtre", "address": "5 place Joannès Ambre, Lyon", "travel_time": "15 min"},
        {"label": "Quai de déchargement", "address": "rue Pailleron", "technical": True},
    ],
    "accommodation": "Hôtel des Canuts, 3 chambres",
    "meals": "Catering à 19 h",
    "contacts": [{"name": "Hélène Roux", "role": "régisseuse d'accueil", "phone": "06 00"}],
    "technical_notes": "Console en régie fond de salle",
    "internal_notes": "Ne pas dire que le cachet a baissé",
}


def _date(node: NodeHarness) -> dict[str, Any]:
    show = production(node)
    return tour_date(node, show["id"], venue_id=organisation(node)["id"])


def _engage(node: NodeHarness, date_id: str, member_id: str, category: str) -> None:
    body = {
        "member_id": member_id,
        "role": "Régie" if category == "technicien" else "Comédienne",
        "profession": "Régisseur" if category == "technicien" else "Artiste dramatique",
        "category": category,
        "annexe": "I",
        "cachets": 1,
        "gross_pay": "200",
    }
    post(node, f"/api/tour-dates/{date_id}/engagements", body)


def test_each_person_sees_their_version_and_internal_notes_never_leave(node: NodeHarness) -> None:
    date = _date(node)
    saved = put(node, f"/api/tour-dates/{date['id']}/day-sheet", {**SHEET, "version": 0})
    assert saved["version"] == 1 and saved["internal_notes"] == SHEET["internal_notes"]
    actress, tech, outsider = member(node), member(node, display_name="Sam"), member(node)
    _engage(node, date["id"], actress["id"], "artiste")
    _engage(node, date["id"], tech["id"], "technicien")
    url = f"/api/tour-dates/{date['id']}/day-sheet.html"
    team = node.client.get(url, headers=node.as_member(actress["id"])).text
    assert "Filage" in team and "Camille Durand - Comédienne" in team
    assert "Déchargement" not in team and "Console en régie" not in team
    technical = node.client.get(url, headers=node.as_member(tech["id"])).text
    assert "Déchargement" in technical and "Console en régie" in technical
    assert "version technique" in technical
    for html in (team, technical, node.client.get(url, headers=node.headers("staff")).text):
        assert "cachet a baissé" not in html
    assert node.client.get(url, headers=node.as_member(outsider["id"])).status_code == 403
    pdf = node.client.get(
        f"/api/tour-dates/{date['id']}/day-sheet.pdf",
        params={"version": "technique"},
        headers=node.headers("staff"),
    )
    assert pdf.content.startswith(b"%PDF")


def test_a_share_link_needs_no_account_and_stops_when_revoked(node: NodeHarness) -> None:
    date = _date(node)
    put(node, f"/api/tour-dates/{date['id']}/day-sheet", {**SHEET, "version": 0})
    link = post(node, f"/api/tour-dates/{date['id']}/day-sheet/links", {"audience": "technique"})
    assert link["url"].startswith("/feuille-de-route/")
    opened = node.client.get(link["url"])
    assert opened.status_code == 200 and "Console en régie" in opened.text
    assert "cachet a baissé" not in opened.text
    assert opened.headers["cache-control"] == "no-store"
    assert node.client.get(link["url"] + ".pdf").content.startswith(b"%PDF")
    listed = get(node, f"/api/tour-dates/{date['id']}/day-sheet/links")["items"]
    assert listed[0]["url"] is None and listed[0]["revoked_at"] is None
    revoked = node.client.delete(
        f"/api/day-sheet-links/{link['id']}", headers=node.headers("staff")
    )
    assert revoked.status_code == 204
    assert node.client.get(link["url"]).status_code == 404
    assert node.client.get("/feuille-de-route/forged-token").status_code == 404


def test_a_schedule_time_that_is_no_time_of_day_is_refused(node: NodeHarness) -> None:
    """`25:99` is refused naming the schedule line; `9h30` and `23:59` are times of day."""
    date = _date(node)
    url = f"/api/tour-dates/{date['id']}/day-sheet"
    response = node.client.put(
        url,
        json={
            "schedule": [{"time": "9h30", "label": "Montage"}, {"time": "25:99", "label": "Fin"}],
            "version": 0,
        },
        headers=node.headers("staff"),
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["body.schedule.1.time"]
    assert get(node, url)["schedule"] == []
