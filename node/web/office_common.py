"""What the production office's pages share: a date's tabs, forms checked and explained in French.

The office's services answer refusals in English (for the API); the pages show them in the
reader's language next to the field concerned, through `FIELD_MESSAGES`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from node.models import Production, TourDate
from node.problems import Conflict, DomainError, Forbidden, NotFound, VersionConflict
from node.services import documents, productions
from node.services import tourdates as dates_service
from node.web.editing import CONFLICT
from node.web.forms import GENERIC_MESSAGE, Field, Translate, field_errors, parse
from node.web.i18n import N_
from node.web.templating import speaker

T = TypeVar("T")
PARIS = ZoneInfo("Europe/Paris")
TABS = (
    ("etapes", N_("Étapes")),
    ("equipe", N_("Équipe")),
    ("contrat", N_("Contrat")),
    ("feuille-de-route", N_("Feuille de route")),
    ("budget", N_("Budget")),
    ("decompte", N_("Décompte")),
    ("conformite", N_("Conformité")),
)
STAGES = {
    "option": N_("Option"),
    "confirmee": N_("Confirmée"),
    "contrat-signe": N_("Contrat signé"),
    "jouee": N_("Jouée"),
    "soldee": N_("Soldée"),
    "annulee": N_("Annulée"),
}
# The services' field messages (English, for the API), as the pages say them.
FIELD_MESSAGES = {
    "the licence number is mandatory": N_(
        "Numéro de licence obligatoire sur un contrat (récépissé PLATESV)."
    ),
    "a cession has a fee": N_("Une cession a un prix de cession."),
    "a coréalisation shares": N_("Indiquez le pourcentage de la recette."),
    "an essential clause": N_("Le prix des places est une clause essentielle."),
    "required to cancel a date": N_("Indiquez le motif de l'annulation."),
    "only for to: option": N_("Seule une option a un niveau et une échéance."),
    "unknown member": N_("Choisissez un membre du bureau."),
    "unknown organisation": N_("Choisissez une organisation."),
    "required for IDCC 3090": N_("Choisissez l'annexe (I à VI) de l'IDCC 3090."),
    "at least one unit": N_("Indiquez le nombre de cachets ou d'heures."),
    "not a date of the production": N_("Cette date n'est pas une date du spectacle."),
    "not a date of it": N_("Cette date n'est pas une date du spectacle."),
    "same as the kept organisation": N_("Choisissez deux organisations différentes."),
}
# Refusals of a whole request (no field named), as the pages say them.
DETAIL_MESSAGES = {
    "only a signed contract is settled": N_(
        "Seul un contrat signé se solde : enregistrez d'abord la signature."
    ),
    "a contract is settled after its dates": N_(
        "Le décompte se fait après la date : marquez d'abord la date « jouée » (onglet Étapes)."
    ),
    "the template does not compile": N_(
        "Le modèle ne peut pas être compilé (erreur de syntaxe Jinja2) : %(detail)s"
    ),
    "error(s) in the grid": N_("La grille contient des erreurs ; rien n'a été chargé."),
    "the grid lacks columns": N_("Colonnes manquantes dans la grille : %(detail)s"),
    "the grid has no rows": N_("La grille ne contient aucune ligne."),
    "cannot be merged into itself": N_("Choisissez deux organisations différentes."),
}
# Refusals of a whole model (pydantic `model_validator`s): the field they concern, in French.
MODEL_MESSAGES = {
    "needs at least one cachet": ("cachets", N_("Un contrat au cachet compte au moins un cachet.")),
    "needs its hours": ("hours", N_("Un contrat à l'heure indique ses heures.")),
    "name their annexe": ("annexe", N_("Choisissez l'annexe (I à VI) de l'IDCC 3090.")),
    "has no annexe": ("annexe", N_("L'IDCC 1285 n'a pas d'annexe : choisissez « aucune ».")),
}
PAY_REFUSED = N_(
    "Refusé : %(per_unit)s € par %(unit)s, sous le minimum de %(minimum)s € de la grille "
    "du bureau (%(source)s)."
)
REFUSED = N_("Enregistrement refusé : %(detail)s")
NOT_ALLOWED = N_("Ce passage n'est pas possible depuis l'étape actuelle.")


@dataclass
class Attempt(Generic[T]):
    """What a posted office form gave: the result, or the values and French errors to show."""

    record: T | None
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


def today_of(request: Request) -> date:
    """Today in Paris, or the day of `?jour=AAAA-MM-JJ` (to see a page as of another day)."""
    raw = request.query_params.get("jour", "")
    try:
        return date.fromisoformat(raw) if raw else datetime.now(PARIS).date()
    except ValueError:
        return datetime.now(PARIS).date()


def money(text: str) -> str:
    """`1 234,50` → `1234.50`: amounts as typed in France, for the models."""
    return text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")


def model_errors(exc: ValidationError, translate: Translate) -> dict[str, str]:
    """Field errors in French; a whole-model refusal goes to the field it concerns."""
    errors = field_errors(exc, translate)
    for error in exc.errors():
        if error.get("loc"):
            continue
        text = str(error.get("msg", ""))
        for needle, (name, message) in MODEL_MESSAGES.items():
            if needle in text:
                errors.setdefault(name, translate(message))
                break
    if "" in errors and len(errors) > 1 and errors[""] == translate(GENERIC_MESSAGE):
        del errors[""]
    return errors


def domain_errors(
    exc: DomainError, translate: Translate, values: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """A service's refusal as French messages by field (the detail when no field is named)."""
    if isinstance(exc, VersionConflict):
        return {"": translate(CONFLICT)}
    if isinstance(exc, Conflict) and "allowed" in exc.extra:
        return {"": translate(NOT_ALLOWED)}
    pay = exc.extra.get("pay_check")
    errors: dict[str, str] = {}
    for e in exc.errors:
        name = e.field.removeprefix("body.").split(".")[0]
        if name == "gross_pay" and isinstance(pay, dict):
            hourly = (values or {}).get("pay_basis") == "heures"
            unit = translate(N_("heure")) if hourly else translate(N_("cachet"))
            errors[name] = translate(PAY_REFUSED) % {
                "per_unit": pay.get("per_unit"),
                "unit": unit,
                "minimum": pay.get("minimum"),
                "source": pay.get("grid_source") or "—",
            }
            continue
        message = FIELD_MESSAGES.get(e.message)
        if message:
            errors.setdefault(name, translate(message))
        else:
            errors.setdefault(name, known_detail(exc, translate) or e.message)
    return errors or {"": detail_message(exc, translate)}


def known_detail(exc: DomainError, translate: Translate) -> str:
    """The refusal's detail in the reader's language, when it is one the pages know."""
    for needle, message in DETAIL_MESSAGES.items():
        if needle in exc.detail:
            rest = exc.detail.split(":", 1)[1].strip() if ":" in exc.detail else exc.detail
            text = translate(message)
            return text % {"detail": rest} if "%(detail)s" in text else text
    return ""


def detail_message(exc: DomainError, translate: Translate) -> str:
    """A refusal of the whole request in the reader's language (its detail after a colon)."""
    return known_detail(exc, translate) or translate(REFUSED) % {"detail": exc.detail}


def attempt(
    request: Request,
    form: FormData,
    fields: Sequence[Field],
    model: type[BaseModel],
    action: Callable[[Any], T],
    *,
    extra: Mapping[str, Any] | None = None,
    money_fields: Sequence[str] = (),
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    db: Session | None = None,
) -> Attempt[T]:
    """Parse `form`, validate it with `model`, run `action`; French errors when refused.

    With `db`, the action runs in a savepoint: a refusal leaves nothing of it behind, even
    what the service had flushed before refusing.
    """
    _ = speaker(request).gettext
    values = parse(fields, form)
    for name in money_fields:
        if isinstance(values.get(name), str):
            values[name] = money(values[name]) or None
    values.update(extra or {})
    shown = dict(values)
    data_values = prepare(dict(values)) if prepare else values
    try:
        data = model.model_validate(data_values)
    except ValidationError as exc:
        return Attempt(None, shown, model_errors(exc, _))
    try:
        if db is None:
            return Attempt(action(data), shown)
        with db.begin_nested():
            return Attempt(action(data), shown)
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        return Attempt(None, shown, domain_errors(exc, _, shown))


def date_frame(db: Session, request: Request, date_id: str, tab: str) -> dict[str, Any]:
    """A date's page frame: its title, production and tabs, for every office tab."""
    tour_date: TourDate = dates_service.get_tour_date(db, tour_date_id=date_id)
    show: Production = productions.get_production(db, production_id=tour_date.production_id)
    fmt = speaker(request)
    _ = fmt.gettext
    return {
        "tour_date": tour_date,
        "production": show,
        "title": f"{show.title} — {fmt.date(tour_date.starts_at)} — {_(dict(TABS)[tab])}",
        "heading": f"{show.title} — {fmt.datetime(tour_date.starts_at, tour_date.timezone)}",
        "tabs": [(key, label, f"/dates/{date_id}/{key}") for key, label in TABS],
        "tab": tab,
        "stage_label": _(STAGES.get(tour_date.stage, tour_date.stage)),
    }


def office_section(request: Request, date_id: str, *, staff: bool) -> dict[str, Any]:
    """The date page's links to its office tabs (members see stages and compliance only)."""
    _ = speaker(request).gettext
    return {
        "title": _("Bureau de production"),
        "empty": "",
        "entries": [
            (_(label), f"/dates/{date_id}/{key}")
            for key, label in TABS
            if staff or key in ("etapes", "conformite")
        ],
    }


PRIVATE = {"Cache-Control": "private, no-store"}


def printed_html(html: str) -> HTMLResponse:
    """A document (contract, settlement, day sheet) as it will be printed; never cached."""
    return HTMLResponse(html, headers=PRIVATE)


def printed_pdf(html: str, *, title: str, filename: str) -> Response:
    """The same document as a PDF download; never cached."""
    return Response(
        documents.to_pdf(html, title=title),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **PRIVATE},
    )
