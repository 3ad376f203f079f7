"""Budgets from the pages: a date's lines (estimate against actual), a tour's summary, CSV."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from node.api.deps import Db
from node.models import BudgetLine
from node.services import budgets, productions
from node.web.deps import Posted, StaffViewer, check_csrf
from node.web.editing import posted_version, submit
from node.web.forms import Field
from node.web.i18n import N_
from node.web.lists import notice
from node.web.office_common import date_frame
from node.web.templating import render, speaker
from schemas.budgets import BudgetLineCreate, BudgetLineUpdate

router = APIRouter()
DIRECTIONS = (("recette", N_("Recette")), ("depense", N_("Dépense")))
CATEGORIES = (
    ("cession", N_("Prix de cession ou apport")),
    ("recettes", N_("Part de recettes")),
    ("subvention", N_("Subvention")),
    ("salaires", N_("Salaires")),
    ("transport", N_("Transport")),
    ("hebergement", N_("Hébergement")),
    ("defraiements", N_("Défraiements")),
    ("technique", N_("Technique")),
    ("droits", N_("Droits")),
    ("autre", N_("Autre")),
)
# Lines worked out by Archipel rather than typed, by their source.
SOURCES = {
    "engagements": N_("Salaires chargés, estimés d'après l'équipe engagée"),
    "contract": N_("Part de la date dans le contrat de vente"),
}
LINE = (
    Field("direction", N_("Sens"), "select", choices=DIRECTIONS),
    Field("category", N_("Catégorie"), "select", choices=CATEGORIES),
    Field("label", N_("Libellé"), help=N_("Par exemple : train Paris–Lyon, aide à la diffusion.")),
    Field("estimate", N_("Prévu (€)"), optional_none=True),
    Field(
        "actual",
        N_("Réel (€)"),
        optional_none=True,
        help=N_("Laissez vide tant que le montant réel n'est pas connu."),
    ),
)
UPDATE = tuple(f for f in LINE if f.name in ("label", "estimate", "actual"))
MONEY = ("estimate", "actual")


def _without_empty_estimate(values: dict[str, Any]) -> dict[str, Any]:
    """An empty estimate is zero on creation and unchanged on update."""
    return {k: v for k, v in values.items() if not (k == "estimate" and v is None)}


def _context(request: Request) -> dict[str, Any]:
    return {
        "directions": dict(DIRECTIONS),
        "categories": dict(CATEGORIES),
        "sources": SOURCES,
        "fields": LINE,
        "update_fields": UPDATE,
        "notice": notice(request),
    }


def _date_page(
    request: Request,
    db: Db,
    date_id: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    frame = date_frame(db, request, date_id, "budget")
    return render(
        request,
        "office/budget_date.html",
        {
            **frame,
            **_context(request),
            "budget": budgets.date_budget(db, tour_date_id=date_id),
            "values": values or {"direction": "depense", "category": "transport"},
            "errors": errors or {},
        },
        status_code=status_code,
    )


def _tour_page(
    request: Request,
    db: Db,
    production_id: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    show = productions.get_production(db, production_id=production_id)
    _ = speaker(request).gettext
    return render(
        request,
        "office/budget_tour.html",
        {
            **_context(request),
            "title": _("Budget de la tournée — %(title)s") % {"title": show.title},
            "production": show,
            "budget": budgets.tour_budget(db, production_id=production_id),
            "values": values or {"direction": "recette", "category": "subvention"},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/dates/{date_id}/budget")
def date_budget(date_id: str, request: Request, db: Db, viewer: StaffViewer) -> Response:
    """A date's income and costs, estimate against actual, and its margin."""
    return _date_page(request, db, date_id)


@router.post("/dates/{date_id}/budget")
def add_date_line(
    date_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    tour_date = date_frame(db, request, date_id, "budget")["tour_date"]
    done = submit(
        request,
        form,
        LINE,
        BudgetLineCreate,
        lambda data: budgets.create_line(db, actor=viewer.actor, data=data),
        extra={"production_id": tour_date.production_id, "tour_date_id": date_id},
        money_fields=MONEY,
        prepare=_without_empty_estimate,
        db=db,
    )
    if done.record is None:
        return _date_page(
            request, db, date_id, values=done.values, errors=done.errors, status_code=422
        )
    return RedirectResponse(f"/dates/{date_id}/budget?notice=created", 303)


@router.get("/productions/{production_id}/budget")
def tour_budget(production_id: str, request: Request, db: Db, viewer: StaffViewer) -> Response:
    """The tour's summary across its dates, its tour-wide lines, and the CSV export."""
    return _tour_page(request, db, production_id)


@router.post("/productions/{production_id}/budget")
def add_tour_line(
    production_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    """A line of the whole tour (a subsidy for the tour, say), on no date in particular."""
    check_csrf(form, viewer.csrf_token)
    done = submit(
        request,
        form,
        LINE,
        BudgetLineCreate,
        lambda data: budgets.create_line(db, actor=viewer.actor, data=data),
        extra={"production_id": production_id, "tour_date_id": None},
        money_fields=MONEY,
        prepare=_without_empty_estimate,
        db=db,
    )
    if done.record is None:
        return _tour_page(
            request, db, production_id, values=done.values, errors=done.errors, status_code=422
        )
    return RedirectResponse(f"/productions/{production_id}/budget?notice=created", 303)


def _back(request: Request, db: Db, line: BudgetLine, errors: dict[str, str]) -> Response:
    """The budget page the line belongs to, with the refusal on top."""
    first = {"": next(iter(errors.values()))}
    if line.tour_date_id:
        return _date_page(request, db, line.tour_date_id, errors=first, status_code=422)
    return _tour_page(request, db, line.production_id, errors=first, status_code=422)


def _where(line: BudgetLine) -> str:
    if line.tour_date_id:
        return f"/dates/{line.tour_date_id}/budget"
    return f"/productions/{line.production_id}/budget"


@router.post("/lignes-budget/{line_id}")
def update_line(
    line_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    """Correct a line, typically to enter its actual amount once known."""
    check_csrf(form, viewer.csrf_token)
    line = budgets.get_line(db, line_id=line_id)
    done = submit(
        request,
        form,
        UPDATE,
        BudgetLineUpdate,
        lambda data: budgets.update_line(
            db, actor=viewer.actor, line_id=line_id, data=data, expected_version=None
        ),
        extra={"version": posted_version(form)},
        money_fields=MONEY,
        prepare=_without_empty_estimate,
        db=db,
    )
    if done.record is None:
        return _back(request, db, line, done.errors)
    return RedirectResponse(f"{_where(line)}?notice=saved", 303)


@router.post("/lignes-budget/{line_id}/supprimer")
def delete_line(
    line_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    line = budgets.get_line(db, line_id=line_id)
    where = _where(line)
    budgets.delete_line(
        db, actor=viewer.actor, line_id=line_id, expected_version=posted_version(form)
    )
    return RedirectResponse(f"{where}?notice=deleted", 303)


@router.get("/productions/{production_id}/budget.csv")
def tour_budget_csv(production_id: str, db: Db, viewer: StaffViewer) -> Response:
    """Every line of the tour (`;`, UTF-8 with BOM, decimal comma), the margin last."""
    text = budgets.tour_csv(budgets.tour_budget(db, production_id=production_id))
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="budget-{production_id}.csv"',
            "Cache-Control": "private, no-store",
        },
    )
