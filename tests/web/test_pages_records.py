"""The bureau's pages: lists, forms with French errors, conflicts, roles, CSV, feeds, public."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from conftest import NodeHarness
from factories import make_member, make_production, make_resource, member_data
from node.actors import Role
from tests.web.pages import csrf_of, login, make_account


@pytest.fixture
def staff(node: NodeHarness) -> TestClient:
    """A browser logged in as a staff account."""
    make_account(node, "claire", Role.staff)
    client = TestClient(node.app)
    login(client, "claire")
    return client


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/", "Tableau de bord"),
        ("/annuaire", "Annuaire du réseau"),
        ("/membres", "Membres"),
        ("/productions", "Productions"),
        ("/dates", "Dates"),
        ("/organisations", "Organisations &amp; contacts"),
        ("/ressources", "Ressources"),
        ("/tournees", "Tournées du réseau"),
        ("/ressources-reseau", "Ressources du réseau"),
        ("/journal", "Journal"),
        ("/profil", "Mon profil"),
        ("/membres/nouveau", "Nouveau membre"),
        ("/dates/nouvelle", "Nouvelle date"),
    ],
)
def test_every_page_answers_in_french(staff: TestClient, path: str, text: str) -> None:
    response = staff.get(path)
    assert response.status_code == 200, response.text
    assert text in response.text
    assert '<main id="contenu"' in response.text


def test_creating_a_member_with_an_invalid_form_shows_french_errors_by_the_fields(
    staff: TestClient,
) -> None:
    form = staff.get("/membres/nouveau")
    response = staff.post(
        "/membres/nouveau",
        data={
            "csrf_token": csrf_of(form.text),
            "display_name": "",
            "email": "pas-une-adresse",
            "visibility": "network",
            "shares": "0",
        },
    )
    assert response.status_code == 422
    html = response.text
    assert re.search(r'id="f-display_name-err">Ce champ est obligatoire\.<', html)
    assert re.search(r'id="f-email-err">Saisissez une adresse e-mail valide', html)


def test_creating_then_editing_a_member_and_a_stale_edit_is_a_clear_conflict(
    staff: TestClient,
) -> None:
    form = staff.get("/membres/nouveau")
    token = csrf_of(form.text)
    created = staff.post(
        "/membres/nouveau",
        data={
            "csrf_token": token,
            "display_name": "Inès Faure",
            "trades": "Régie son, Régie générale",
            "visibility": "network",
            "shares": "2",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    url = created.headers["location"].split("?")[0]
    page = staff.get(url)
    assert "Inès Faure" in page.text and "Régie son, Régie générale" in page.text
    edit = {
        "csrf_token": token,
        "display_name": "Inès Faure-Martin",
        "visibility": "network",
        "shares": "2",
        "version": "1",
    }
    assert staff.post(f"{url}/modifier", data=edit, follow_redirects=False).status_code == 303
    stale = staff.post(f"{url}/modifier", data={**edit, "display_name": "Autre"})
    assert stale.status_code == 409
    assert "Quelqu&#39;un d&#39;autre a modifié cette fiche" in stale.text


def test_members_read_but_cannot_create(node: NodeHarness) -> None:
    with node.sessions() as db, db.begin():
        member_id = make_member(db, display_name="Malik Benali").id
    make_account(node, "malik", Role.member, member_id=member_id)
    client = TestClient(node.app)
    login(client, "malik")
    listing = client.get("/membres")
    assert "Malik Benali" in listing.text
    assert "/membres/nouveau" not in listing.text
    assert client.get("/membres/nouveau").status_code == 403
    assert client.get("/reseau").status_code == 403
    profile = client.get("/profil")
    assert "Malik Benali" in profile.text
    assert "Vous avez accepté le partage de votre fiche le" in profile.text


def test_directory_search_ignores_accents_and_the_partial_has_only_results(
    node: NodeHarness, staff: TestClient
) -> None:
    # Through the API: the app's sessions also write the directory replica.
    for data in (
        member_data(display_name="Léa Martin", trades=["Régie son"]),
        member_data(display_name="Paul Roux", trades=["Comédien"], skills=["clown"]),
    ):
        assert node.client.post("/api/members", json=data, headers=node.headers("staff")).is_success
    page = staff.get("/annuaire", params={"q": "regie son"})
    assert "Léa Martin" in page.text and "Paul Roux" not in page.text
    partial = staff.get("/annuaire/resultats", params={"q": "clown"})
    assert "Paul Roux" in partial.text and "<html" not in partial.text


def test_csv_exports_are_utf8_with_a_bom(node: NodeHarness, staff: TestClient) -> None:
    with node.sessions() as db, db.begin():
        make_member(db, display_name="Zoé Lefèvre")
    response = staff.get("/membres.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert "Zoé Lefèvre" in response.content.decode("utf-8-sig")
    for path in (
        "/annuaire.csv",
        "/productions.csv",
        "/dates.csv",
        "/organisations.csv",
        "/ressources.csv",
        "/tournees.csv",
        "/ressources-reseau.csv",
        "/journal.csv",
    ):
        assert staff.get(path).content.startswith(b"\xef\xbb\xbf"), path


def test_a_production_feed_is_served_by_token_and_revocable(
    node: NodeHarness, staff: TestClient
) -> None:
    with node.sessions() as db, db.begin():
        production_id = make_production(db, title="Les Étoiles filantes").id
    page = staff.get(f"/productions/{production_id}")
    token = csrf_of(page.text)
    staff.post(
        "/agendas",
        data={
            "csrf_token": token,
            "kind": "production",
            "target": production_id,
            "suivant": f"/productions/{production_id}",
        },
    )
    page = staff.get(f"/productions/{production_id}")
    url = re.search(r'value="http://lyon\.test(/agendas/[^"]+\.ics)"', page.text)
    assert url
    anonymous = TestClient(node.app)
    feed = anonymous.get(url.group(1))
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in feed.content
    staff.post(
        "/agendas/revoquer",
        data={"csrf_token": token, "kind": "production", "target": production_id, "suivant": "/"},
    )
    assert anonymous.get(url.group(1)).status_code == 404


def test_the_public_page_shows_only_public_members_and_productions(node: NodeHarness) -> None:
    with node.sessions() as db, db.begin():
        make_member(db, display_name="Ana Public", visibility="public")
        make_member(db, display_name="Rémi Réseau", visibility="network")
        make_production(db, title="Spectacle ouvert", visibility="public")
        make_production(db, title="Spectacle interne", visibility="network")
        make_resource(db)
    page = TestClient(node.app).get("/public")
    assert page.status_code == 200
    assert "Ana Public" in page.text and "Spectacle ouvert" in page.text
    assert "Rémi Réseau" not in page.text and "Spectacle interne" not in page.text


def test_the_network_page_is_for_admins_and_shows_the_fingerprint(node: NodeHarness) -> None:
    make_account(node, "root", Role.admin)
    client = TestClient(node.app)
    login(client, "root")
    page = client.get("/reseau")
    assert page.status_code == 200
    assert "SHA256:" in page.text
    refused = client.post("/reseau/pairs", data={"csrf_token": csrf_of(page.text), "url": "lyon"})
    assert refused.status_code == 422
    assert "Saisissez l&#39;adresse complète" in refused.text
