"""Forms of the pages: field descriptions, parsing posted fields, French validation messages.

A page describes its form as a list of `Field`s; `parse` turns the posted strings into the
dict a pydantic model of `schemas/` validates, and `field_errors` turns that model's errors into
one translated message per form field, shown next to it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from node.web.i18n import N_
from schemas.loans import STARTS_IN_PAST

Translate = Callable[[str], str]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Field:
    """One field of a form: its name (the model's), label, input kind and choices."""

    name: str
    label: str
    kind: str = "text"  # text, textarea, select, checkbox, date, datetime, tags, lines, number
    choices: Sequence[tuple[str, str]] = ()
    required: bool = False
    help: str = ""
    optional_none: bool = False  # empty means null (e-mail, dates, URLs), not ""
    attrs: Mapping[str, str] = field(default_factory=dict)


def split_tags(raw: str) -> list[str]:
    """`son, lumière` → `["son", "lumière"]`: commas or new lines separate tags."""
    parts = raw.replace("\n", ",").split(",")
    return [p.strip() for p in parts if p.strip()]


def parse(fields: Sequence[Field], form: FormData) -> dict[str, Any]:
    """The posted values, typed the way the models expect them."""
    values: dict[str, Any] = {}
    for f in fields:
        raw = form.get(f.name)
        text = raw.strip() if isinstance(raw, str) else ""
        if f.kind == "checkbox":
            values[f.name] = raw is not None
        elif f.kind in ("tags", "lines"):
            values[f.name] = (
                split_tags(text) if f.kind == "tags" else [ln for ln in text.split() if ln]
            )
        elif f.kind == "number":
            values[f.name] = text or 0
        elif f.optional_none or f.kind in ("date", "datetime"):
            values[f.name] = text or None
        else:
            values[f.name] = text
    return values


def values_of(record: object, fields: Sequence[Field]) -> dict[str, Any]:
    """A record's current values, as a form shows them."""
    return {f.name: getattr(record, f.name, "") for f in fields}


def as_text(value: Any, kind: str) -> str:
    """A value as an input shows it (tags joined with commas, dates in ISO)."""
    if value is None:
        return ""
    if kind == "tags" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if kind == "lines" and isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if kind == "datetime" and hasattr(value, "strftime"):
        return str(value.strftime("%Y-%m-%dT%H:%M"))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


# Messages by pydantic error type; %(…)s are filled from the error's context.
MESSAGES: dict[str, str] = {
    "missing": N_("Ce champ est obligatoire."),
    "string_too_short": N_("Ce champ est obligatoire."),
    "string_too_long": N_("Trop long : %(max_length)s caractères au plus."),
    "too_long": N_("Trop d'éléments : %(max_length)s au plus."),
    "int_parsing": N_("Saisissez un nombre entier."),
    "greater_than_equal": N_("Saisissez un nombre supérieur ou égal à %(ge)s."),
    "date_from_datetime_parsing": N_("Saisissez une date valide (jj/mm/aaaa)."),
    "date_parsing": N_("Saisissez une date valide (jj/mm/aaaa)."),
    "datetime_from_date_parsing": N_("Saisissez une date et une heure valides."),
    "datetime_parsing": N_("Saisissez une date et une heure valides."),
    "enum": N_("Choisissez une des valeurs proposées."),
    "literal_error": N_("Choisissez une des valeurs proposées."),
    "url_parsing": N_("Saisissez une adresse web complète (https://…)."),
    "url_scheme": N_("Saisissez une adresse web complète (https://…)."),
    "url_type": N_("Saisissez une adresse web complète (https://…)."),
    "bool_parsing": N_("Valeur invalide."),
    "decimal_parsing": N_("Saisissez un montant, par exemple 1 234,50."),
    "decimal_type": N_("Saisissez un montant, par exemple 1 234,50."),
    "decimal_max_places": N_("Deux décimales au plus (les centimes)."),
    "decimal_max_digits": N_("Montant trop élevé."),
    "float_parsing": N_("Saisissez un nombre, par exemple 45 ou 45,5."),
    "less_than_equal": N_("Saisissez un nombre inférieur ou égal à %(le)s."),
    "greater_than": N_("Saisissez un nombre supérieur à %(gt)s."),
    "extra_forbidden": N_("Champ inattendu."),
    STARTS_IN_PAST: N_("Un prêt ne peut pas commencer avant aujourd'hui."),
}
EMAIL_MESSAGE = N_("Saisissez une adresse e-mail valide (nom@exemple.fr).")
GENERIC_MESSAGE = N_("Valeur invalide.")


def message_for(error: Mapping[str, Any], translate: Translate) -> str:
    kind = str(error.get("type", ""))
    if kind == "value_error" and "email" in str(error.get("msg", "")).lower():
        return translate(EMAIL_MESSAGE)
    template = MESSAGES.get(kind)
    if template is None:
        return translate(GENERIC_MESSAGE)
    context = {k: v for k, v in (error.get("ctx") or {}).items() if isinstance(v, int | str)}
    try:
        return translate(template) % context
    except (KeyError, TypeError, ValueError):
        return translate(GENERIC_MESSAGE)


def field_errors(exc: ValidationError, translate: Translate) -> dict[str, str]:
    """The first error of each form field, in the page's language; the rest under `""`."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = error.get("loc", ())
        name = str(loc[0]) if loc else ""
        errors.setdefault(name, message_for(error, translate))
    return errors


def validate(
    model: type[M], values: Mapping[str, Any], translate: Translate
) -> tuple[M | None, dict[str, str]]:
    """The model built from `values`, or None and the errors by field."""
    try:
        return model.model_validate(dict(values)), {}
    except ValidationError as exc:
        return None, field_errors(exc, translate)
