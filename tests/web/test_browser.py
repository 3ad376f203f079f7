"""In a real browser (Debian's Chromium, headless) against real `archipel serve` processes."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from node.cli.demo import DemoBureau
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, DEMO_PASSWORD, running_bureaus

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
]

sync_api = pytest.importorskip("playwright.sync_api")
Page = sync_api.Page
expect = sync_api.expect


@pytest.fixture(scope="module")
def bureaus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[DemoBureau]]:
    with running_bureaus(tmp_path_factory.mktemp("archipel"), ["lyon", "marseille"]) as found:
        yield found


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: object) -> Iterator[Page]:
    context = browser.new_context(locale="fr-FR")  # type: ignore[attr-defined]
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


def log_in(page: Page, bureau: DemoBureau) -> None:
    page.goto(f"{bureau.url}/connexion")
    page.get_by_label("Identifiant").fill("admin")
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()


def test_log_in_and_see_the_dashboard_in_french(page: Page, bureaus: list[DemoBureau]) -> None:
    log_in(page, bureaus[0])
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_text("Synchronisation à jour")).to_be_visible()


def test_a_member_created_in_lyon_appears_in_marseilles_directory(
    page: Page, bureaus: list[DemoBureau]
) -> None:
    lyon, marseille = bureaus
    log_in(page, lyon)
    page.goto(f"{lyon.url}/membres/nouveau")
    page.get_by_label("Nom affiché").fill("Bérénice Ortega")
    page.get_by_label("Métiers").fill("Régie plateau")
    page.get_by_label("Réseau", exact=True).check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", name="Bérénice Ortega")).to_be_visible()
    log_in(page, marseille)
    deadline = time.monotonic() + 20
    while True:
        page.goto(f"{marseille.url}/annuaire?q=berenice")
        if page.get_by_role("link", name="Bérénice Ortega").count() or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    expect(page.get_by_role("link", name="Bérénice Ortega")).to_be_visible()
    expect(page.locator(".card", has_text="Bérénice Ortega")).to_contain_text("Bureau de Lyon")


def test_searching_regie_son_finds_regie_son_while_typing(
    page: Page, bureaus: list[DemoBureau]
) -> None:
    log_in(page, bureaus[1])
    page.goto(f"{bureaus[1].url}/annuaire")
    page.get_by_label("Rechercher (nom, métier, compétence, ville…)").press_sequentially(
        "regie son", delay=20
    )
    results = page.locator("#results")
    expect(results).to_contain_text("Léa Martin")
    expect(results).to_contain_text("Régie son")
    expect(results).not_to_contain_text("Camille Roche")
    assert "q=regie+son" in page.url  # the address follows, without a full reload


def test_switching_to_english(page: Page, bureaus: list[DemoBureau]) -> None:
    log_in(page, bureaus[0])
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="Français").click()
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()


def test_an_invalid_form_shows_the_french_error_next_to_the_field(
    page: Page, bureaus: list[DemoBureau]
) -> None:
    log_in(page, bureaus[0])
    page.goto(f"{bureaus[0].url}/membres/nouveau")
    page.get_by_label("E-mail").fill("pas-une-adresse")
    page.get_by_role("button", name="Enregistrer").click()
    name = page.get_by_label("Nom affiché")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-display_name-err")).to_have_text("Ce champ est obligatoire.")
    expect(page.locator("#f-email-err")).to_contain_text("Saisissez une adresse e-mail valide")


def test_keyboard_only_search_in_the_directory(page: Page, bureaus: list[DemoBureau]) -> None:
    log_in(page, bureaus[1])
    page.goto(f"{bureaus[1].url}/annuaire")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Aller au contenu")).to_be_focused()
    page.keyboard.press("Enter")
    search = page.get_by_label("Rechercher (nom, métier, compétence, ville…)")
    for _step in range(10):
        page.keyboard.press("Tab")
        if search.evaluate("el => el === document.activeElement"):
            break
    expect(search).to_be_focused()
    page.keyboard.type("karim")
    page.keyboard.press("Enter")
    link = page.get_by_role("link", name="Karim Haddad")
    expect(link).to_be_visible()
    link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Karim Haddad")).to_be_visible()
    expect(page.get_by_text("Régie lumière")).to_be_visible()
