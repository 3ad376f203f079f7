"""Languages: negotiation, the English catalog's coverage, French formats of dates and money."""

from __future__ import annotations

from datetime import date

from babel.messages.pofile import read_po

from node.web.i18n import LOCALE_DIR, Speaker, negotiate


def test_the_cookie_wins_then_the_browser_then_french() -> None:
    assert negotiate("en", "fr-FR") == "en"
    assert negotiate(None, "de-DE,en;q=0.8") == "en"
    assert negotiate(None, "de-DE") == "fr"
    assert negotiate("xx", None) == "fr"


def test_every_page_string_has_an_english_translation() -> None:
    with (LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="en")
    with (LOCALE_DIR / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    missing = [m.id for m in template if m.id and not (catalog.get(m.id) and catalog[m.id].string)]
    assert missing == []


def test_dates_and_money_are_formatted_the_french_way() -> None:
    french = Speaker("fr")
    assert french.date(date(2026, 11, 26)) == "jeudi 26 novembre 2026"
    assert french.money(1234.5).replace("\u202f", " ").replace("\xa0", " ") == "1 234,50 €"
    assert Speaker("en").date(date(2026, 11, 26)) == "Thursday, November 26, 2026"
