"""The production office in a real browser (Debian's Chromium, headless) against real
`archipel serve` processes: a date's budget reached by clicking from the dashboard, and the
« déjà en contact » hint shared in Lyon and read on Marseille's page of the same theatre."""

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
SYNC_TIMEOUT = 20.0


@pytest.fixture(scope="module")
def bureaus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[DemoBureau]]:
    with running_bureaus(tmp_path_factory.mktemp("office"), ["lyon", "marseille"]) as found:
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


def test_a_dates_budget_is_reached_by_clicking_and_explains_a_bad_amount(
    page: Page, bureaus: list[DemoBureau]
) -> None:
    log_in(page, bureaus[0])
    page.locator("section[aria-labelledby=next-dates] a").first.click()
    page.get_by_role("link", name="Budget", exact=True).click()
    expect(page.get_by_role("heading", name="Recettes et dépenses de la date")).to_be_visible()
    page.locator("#f-label").fill("Train Paris–Lyon")
    page.locator("#f-estimate").fill("beaucoup")
    page.get_by_role("button", name="Ajouter au budget").click()
    expect(page.locator("#f-estimate")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-estimate-err")).to_contain_text("Saisissez un montant")
    page.locator("#f-estimate").fill("300,00")
    page.get_by_role("button", name="Ajouter au budget").click()
    expect(page.get_by_role("status")).to_have_text("Créé.")
    expect(page.locator(".budget-lines")).to_contain_text("Train Paris–Lyon")
    expect(page.locator("#total-costs")).to_contain_text("300,00")
    page.get_by_role("link", name="Budget de toute la tournée").click()
    expect(page.get_by_role("link", name="Exporter le budget (CSV)")).to_be_visible()


def test_a_contact_shared_in_lyon_shows_on_marseilles_page_of_the_theatre(
    page: Page, bureaus: list[DemoBureau]
) -> None:
    lyon, marseille = bureaus
    log_in(page, lyon)
    page.goto(f"{lyon.url}/organisations")
    page.locator("table a").first.click()
    name = page.get_by_role("heading", level=1).inner_text()
    page.get_by_label("Qui interroger au bureau").fill("Julie, chargée de diffusion")
    page.get_by_role("button", name="Partager avec le réseau").click()
    expect(page.locator("#own-hint")).to_contain_text("Julie, chargée de diffusion")

    log_in(page, marseille)
    page.goto(f"{marseille.url}/organisations")
    page.get_by_role("link", name=name, exact=True).click()
    deadline = time.monotonic() + SYNC_TIMEOUT
    while not page.locator("#network-hints").count() and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()
    expect(page.locator("#network-hints")).to_contain_text(
        "Le bureau lyon : demandez à Julie, chargée de diffusion"
    )
