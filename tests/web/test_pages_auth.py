"""Logging in and out, CSRF on forms, the first-run password change, the language switch."""

from __future__ import annotations

from fastapi.testclient import TestClient

from conftest import NodeHarness
from node.actors import Role
from tests.web.pages import PASSWORD, csrf_of, login, make_account


def test_pages_need_a_login_and_the_login_page_is_french(node: NodeHarness) -> None:
    client = TestClient(node.app)
    response = client.get("/annuaire", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/connexion?suivant=%2Fannuaire")
    page = client.get("/connexion")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    assert "Mot de passe" in page.text
    assert 'class="skip-link"' in page.text


def test_login_without_the_csrf_token_is_refused(node: NodeHarness) -> None:
    make_account(node, "claire", Role.staff)
    client = TestClient(node.app)
    client.get("/connexion")
    response = client.post("/connexion", data={"username": "claire", "password": PASSWORD})
    assert response.status_code == 403
    assert "formulaire a expiré" in response.text


def test_a_wrong_password_says_so_in_french(node: NodeHarness) -> None:
    make_account(node, "claire", Role.staff)
    client = TestClient(node.app)
    page = client.get("/connexion")
    response = client.post(
        "/connexion",
        data={"username": "claire", "password": "faux", "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 401
    assert "mot de passe incorrect" in response.text


def test_login_then_dashboard_then_logout(node: NodeHarness) -> None:
    make_account(node, "claire", Role.staff)
    client = TestClient(node.app)
    login(client, "claire")
    home = client.get("/")
    assert home.status_code == 200
    assert "Tableau de bord" in home.text
    assert "Aucun bureau pair" in home.text
    response = client.post(
        "/deconnexion", data={"csrf_token": csrf_of(home.text)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_write_without_the_session_csrf_token_is_refused(node: NodeHarness) -> None:
    make_account(node, "claire", Role.staff)
    client = TestClient(node.app)
    login(client, "claire")
    response = client.post("/membres/nouveau", data={"display_name": "Zoé"})
    assert response.status_code == 403
    response = client.post("/deconnexion", data={"csrf_token": "forged"})
    assert response.status_code == 403


def test_the_first_admin_must_change_the_password_first(node: NodeHarness) -> None:
    make_account(node, "admin", Role.admin, must_change=True)
    client = TestClient(node.app)
    login(client, "admin")
    assert client.get("/annuaire", follow_redirects=False).headers["location"] == "/bienvenue"
    welcome = client.get("/bienvenue")
    assert "Bienvenue dans Archipel" in welcome.text
    token = csrf_of(welcome.text)
    short = client.post(
        "/mot-de-passe",
        data={"csrf_token": token, "current": PASSWORD, "new": "court", "confirm": "court"},
    )
    assert short.status_code == 422
    assert "Au moins 10 caractères." in short.text
    done = client.post(
        "/mot-de-passe",
        data={
            "csrf_token": token,
            "current": PASSWORD,
            "new": "nouveau-mot-de-passe",
            "confirm": "nouveau-mot-de-passe",
        },
    )
    assert done.status_code == 200
    assert "Votre mot de passe est changé." in done.text
    assert client.get("/annuaire").status_code == 200


def test_english_from_the_browser_and_from_the_switch(node: NodeHarness) -> None:
    make_account(node, "claire", Role.staff)
    client = TestClient(node.app)
    page = client.get("/connexion", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in page.text
    assert "Password" in page.text
    login(client, "claire")
    home = client.get("/")
    assert "Tableau de bord" in home.text
    switched = client.post(
        "/langue", data={"csrf_token": csrf_of(home.text), "lang": "en", "suivant": "/"}
    )
    assert switched.status_code == 200
    assert "Dashboard" in switched.text


def test_the_bureau_has_an_icon_and_favicon_ico_finds_it(node: NodeHarness) -> None:
    """Every page names its icon, and `/favicon.ico` (asked by browsers for documents that name
    none) leads to it instead of a 404 in the console."""
    page = node.client.get("/connexion").text
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    icon = node.client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in icon.text
