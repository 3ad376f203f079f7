"""A loan between two real bureaus in a real browser (Debian's Chromium, headless): Lyon asks
for Marseille's van from « Ressources du réseau », Marseille proposes other dates, Lyon takes
them, Marseille sees the loan accepted — every step by clicking and typing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

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
WAIT_MS = 25_000


@pytest.fixture(scope="module")
def bureaus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[DemoBureau]]:
    with running_bureaus(tmp_path_factory.mktemp("loans"), ["lyon", "marseille"]) as found:
        yield found


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


def open_page(browser: object) -> Page:
    context = browser.new_context(locale="fr-FR")  # type: ignore[attr-defined]
    page: Page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def log_in(page: Page, bureau: DemoBureau) -> None:
    page.goto(f"{bureau.url}/connexion")
    page.get_by_label("Identifiant").fill("admin")
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()


def reload_until(page: Page, text: str) -> None:
    """Reload until `text` shows (the other bureau's answer crosses in about a second)."""
    for _attempt in range(WAIT_MS // 500):
        if page.get_by_text(text, exact=True).count():
            return
        page.wait_for_timeout(500)
        page.reload()
    expect(page.get_by_text(text, exact=True)).to_be_visible()


def test_a_loan_request_counter_offer_and_acceptance_in_the_browser(
    bureaus: list[DemoBureau], browser: object
) -> None:
    lyon, marseille = bureaus
    borrower, owner = open_page(browser), open_page(browser)
    log_in(borrower, lyon)
    log_in(owner, marseille)
    start = date.today() + timedelta(days=40)

    borrower.get_by_role("link", name="Ressources du réseau").first.click()
    van = borrower.locator("li.card", has_text="Camion 20 m³")
    for _attempt in range(WAIT_MS // 500):  # marseille's resources reach lyon's replica
        if van.count():
            break
        borrower.wait_for_timeout(500)
        borrower.reload()
    van.get_by_role("link", name="Demander un prêt").click()
    borrower.get_by_label("Du").fill(start.isoformat())
    borrower.get_by_label("Au (inclus)").fill((start + timedelta(days=2)).isoformat())
    borrower.get_by_label("Pour quoi faire").fill("Tournée des plages")
    borrower.get_by_label("Contact (nom, téléphone)").fill("Inès, 06 11 22 33 44")
    borrower.get_by_role("button", name="Enregistrer").click()
    expect(borrower.locator("#loan-state")).to_have_text("Demandé")

    owner.goto(f"{marseille.url}/")
    reload_until(owner, "1 demande de prêt")
    owner.get_by_role("link", name="1 demande de prêt").click()
    owner.get_by_role("link", name="Camion 20 m³").click()
    counter = owner.locator("form", has=owner.get_by_role("button", name="Proposer d'autres dates"))
    counter.get_by_label("Du").fill((start + timedelta(days=7)).isoformat())
    counter.get_by_label("Au (inclus)").fill((start + timedelta(days=9)).isoformat())
    counter.get_by_label("Message").fill("Le camion est pris ces jours-là")
    counter.get_by_role("button", name="Proposer d'autres dates").click()
    expect(owner.locator("#loan-state")).to_have_text("Autres dates proposées")

    reload_until(borrower, "Autres dates proposées")
    expect(borrower.locator("#loan-counter")).to_contain_text(
        (start + timedelta(days=7)).isoformat()
    )
    borrower.get_by_role("button", name="Accepter les dates proposées").click()
    reload_until(borrower, "Accepté")
    reload_until(owner, "Accepté")
    expect(owner.get_by_role("button", name="Marquer comme retiré")).to_be_visible()
