"""Take the user guide's screenshots: two demo bureaus, Debian's Chromium, French pages.

Run from the repository: `.venv/bin/python tools/screenshots.py` (writes docs/screenshots/).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, DEMO_PASSWORD, running_bureaus  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
PAGES = [
    ("connexion", "/connexion", False),
    ("tableau-de-bord", "/", True),
    ("annuaire", "/annuaire?q=regie+son", True),
    ("fiche-membre", None, True),
    ("tournees", "/tournees", True),
    ("ressources-reseau", "/ressources-reseau", True),
    ("membres", "/membres", True),
    ("nouveau-membre-erreurs", None, True),
    ("productions", "/productions", True),
    ("reseau", "/reseau", True),
    ("journal", "/journal", True),
    ("public", "/public", False),
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_bureaus(Path(tmp), ["lyon", "marseille", "lille"]) as bureaus,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 860})
        page = context.new_page()
        lyon = bureaus[0]
        page.goto(f"{lyon.url}/public")
        page.screenshot(path=str(OUT / "public.png"), full_page=True)
        page.goto(f"{lyon.url}/connexion")
        page.screenshot(path=str(OUT / "connexion.png"))
        page.get_by_label("Identifiant").fill("admin")
        page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        time.sleep(4)  # let the three bureaus sync
        for name, path, _login in PAGES:
            if path is None or name in ("connexion", "public"):
                continue
            page.goto(f"{lyon.url}{path}")
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
        page.goto(f"{lyon.url}/annuaire?q=nadia")
        page.get_by_role("link", name="Nadia Bensaïd").click()
        page.screenshot(path=str(OUT / "fiche-membre.png"), full_page=True)
        page.goto(f"{lyon.url}/membres/nouveau")
        page.get_by_label("E-mail").fill("pas-une-adresse")
        page.get_by_role("button", name="Enregistrer").click()
        page.screenshot(path=str(OUT / "nouveau-membre-erreurs.png"), full_page=True)
        phone = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
        mobile = phone.new_page()
        mobile.goto(f"{lyon.url}/connexion")
        mobile.get_by_label("Identifiant").fill("admin")
        mobile.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
        mobile.get_by_role("button", name="Se connecter").click()
        mobile.goto(f"{lyon.url}/annuaire?q=son")
        mobile.screenshot(path=str(OUT / "annuaire-telephone.png"), full_page=True)
        browser.close()
    print(f"screenshots written to {OUT}")


if __name__ == "__main__":
    main()
