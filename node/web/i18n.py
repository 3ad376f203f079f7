"""Languages of the pages: French by default, English available; catalogs and locale formats.

Messages are written in French in the code and templates (French is the product's first
language); `locale/en/LC_MESSAGES/messages.po` translates them to English. The `.po` files are
the only committed form: they are compiled in memory when first used, so a fresh install needs
no build step.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
LANGUAGE_COOKIE = "archipel_lang"
PARIS = ZoneInfo("Europe/Paris")


def N_(message: str) -> str:
    """Mark `message` for extraction; it is translated where it is shown."""
    return message


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of `language` (French, the source language, needs none)."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT_LANGUAGE or not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The language to speak: the switch's cookie, else the browser's preference, else French."""
    if cookie in LANGUAGES:
        return str(cookie)
    preferred: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        preferred.append((quality, tag.strip().lower()))
    for _quality, tag in sorted(preferred, key=lambda p: -p[0]):
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


class Speaker:
    """Translation and locale formatting for one request's language."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.locale = Locale.parse(language)
        self._t = translations(language)

    def gettext(self, message: str) -> str:
        return self._t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def date(self, value: dt.date | dt.datetime | None, fmt: str = "full") -> str:
        """`jeudi 26 novembre 2026` (full), `26 nov. 2026` (medium)…"""
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            value = value.astimezone(PARIS) if value.tzinfo else value
            value = value.date()
        return format_date(value, format=fmt, locale=self.locale)

    def datetime(
        self, value: dt.datetime | None, tz: str = "Europe/Paris", fmt: str = "full"
    ) -> str:
        """A moment in its zone: `jeudi 26 novembre 2026 à 20:30`."""
        if value is None:
            return ""
        zone = ZoneInfo(tz)
        local = value.astimezone(zone)
        day = format_date(local.date(), format=fmt, locale=self.locale)
        hour = format_time(local, format="short", locale=self.locale)
        return self.gettext("%(day)s à %(hour)s") % {"day": day, "hour": hour}

    def timestamp(self, value: dt.datetime | None) -> str:
        """A short date and time, Paris time: for journals and sync times."""
        if value is None:
            return ""
        return format_datetime(value, format="short", tzinfo=PARIS, locale=self.locale)

    def duration(self, value: dt.timedelta) -> str:
        """How long, rounded to its largest unit: `3 min`, `2 h`, `5 j`."""
        return format_timedelta(max(value, dt.timedelta(0)), format="short", locale=self.locale)

    def number(self, value: int | float | Decimal) -> str:
        return format_decimal(value, locale=self.locale)

    def money(self, value: int | float | Decimal, currency: str = "EUR") -> str:
        return format_currency(value, currency, locale=self.locale)
