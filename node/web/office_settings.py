"""The office's settings from the pages: its profile on contracts, employer-cost rates, the
minimum-pay grid (upload and view) and the editable document templates."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from node.api.deps import Db
from node.problems import DomainError
from node.services import budgets, documents, office, paygrids
from node.text import fold
from node.web.deps import Posted, StaffViewer, check_csrf
from node.web.editing import submit
from node.web.errors import problem_message
from node.web.forms import Field, Translate, money
from node.web.i18n import N_
from node.web.lists import notice
from node.web.templating import render, speaker
from schemas.budgets import EmployerRates
from schemas.contracts import OfficeProfile, TemplateBody

router = APIRouter()
PROFILE = (
    Field("legal_name", N_("Raison sociale"), help=N_("Le bureau tel qu'il signe ses contrats.")),
    Field(
        "licence_number",
        N_("Numéro de licence (récépissé PLATESV)"),
        help=N_("Obligatoire sur chaque contrat de vente ; valable 5 ans."),
    ),
    Field("siret", N_("SIRET")),
    Field("address", N_("Adresse"), "textarea"),
    Field("city", N_("Ville")),
    Field(
        "signatory",
        N_("Signataire des contrats"),
        help=N_("Par exemple : Camille Durand, gérante."),
    ),
)
RATES = (
    Field("artiste", N_("Taux employeur, artistes (%)")),
    Field("technicien", N_("Taux employeur, techniciens (%)")),
    Field(
        "conges_spectacles",
        N_("Congés Spectacles (%)"),
        help=N_("Taux en vigueur depuis le 1er avril 2023 : 15,5 %."),
    ),
)
TEMPLATE_NAMES = {
    "contrat": N_("Contrat de vente"),
    "decompte": N_("Décompte ou facture de solde"),
    "feuille-de-route": N_("Feuille de route"),
}
BODY = (Field("body", N_("Modèle (Jinja2)"), "textarea", required=True),)
# The grid's refusals (English, for the API) by column, as the page says them.
GRID_COLUMNS = {
    "convention": N_("idcc-3090 ou idcc-1285"),
    "annexe": N_("I à VI, ou vide"),
    "category": N_("artiste, technicien ou vide"),
    "basis": N_("cachet ou heure"),
    "profession": N_("un emploi, ou * pour tous"),
    "minimum": N_("un montant en euros, par exemple 123,45"),
    "valid_from": N_("une date AAAA-MM-JJ"),
}
GRID_LINE = N_("Ligne %(line)s, colonne « %(column)s » : attendu %(expected)s.")
NOT_UTF8 = N_("Le fichier n'est pas un CSV en UTF-8 : enregistrez-le en « CSV UTF-8 ».")
EMPTY_GRID = N_("Choisissez un fichier CSV ou collez la grille.")


def _percent(value: Any) -> Any:
    """`45` or `45,5` (a percentage, as typed) → 0.45 or 0.455; anything else as typed."""
    try:
        return round(float(money(str(value))) / 100, 6)
    except ValueError:
        return value


def _rates_values(db: Db) -> dict[str, str]:
    rates = budgets.employer_rates(db)
    return {k: f"{v * 100:g}".replace(".", ",") for k, v in rates.model_dump().items()}


def _profile_page(
    request: Request,
    db: Db,
    *,
    values: dict[str, Any] | None = None,
    rate_values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    rate_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    _ = speaker(request).gettext
    return render(
        request,
        "office/profile.html",
        {
            "title": _("Profil du bureau"),
            "fields": PROFILE,
            "rate_fields": RATES,
            "values": values or office.profile(db).model_dump(),
            "rate_values": rate_values or _rates_values(db),
            "errors": errors or {},
            "rate_errors": rate_errors or {},
            "notice": notice(request),
        },
        status_code=status_code,
    )


@router.get("/bureau/profil")
def profile_page(request: Request, db: Db, viewer: StaffViewer) -> Response:
    """The bureau as producer on its contracts, and its employer-cost rates."""
    return _profile_page(request, db)


@router.post("/bureau/profil")
def save_profile(request: Request, form: Posted, db: Db, viewer: StaffViewer) -> Response:
    check_csrf(form, viewer.csrf_token)
    done = submit(
        request,
        form,
        PROFILE,
        OfficeProfile,
        lambda data: office.save_profile(db, actor=viewer.actor, data=data),
        db=db,
    )
    if done.record is None:
        return _profile_page(request, db, values=done.values, errors=done.errors, status_code=422)
    return RedirectResponse("/bureau/profil?notice=saved", 303)


@router.post("/bureau/taux")
def save_rates(request: Request, form: Posted, db: Db, viewer: StaffViewer) -> Response:
    """Employer rates for cost estimates only: the bureau types its payroll provider's."""
    check_csrf(form, viewer.csrf_token)
    done = submit(
        request,
        form,
        RATES,
        EmployerRates,
        lambda data: budgets.save_rates(db, actor=viewer.actor, data=data),
        prepare=lambda values: {k: _percent(v) for k, v in values.items()},
        db=db,
    )
    if done.record is None:
        return _profile_page(
            request, db, rate_values=done.values, rate_errors=done.errors, status_code=422
        )
    return RedirectResponse("/bureau/profil?notice=saved", 303)


def _grid_problems(exc: DomainError, translate: Translate) -> list[str]:
    """Every bad field of a refused grid, in the reader's language."""
    problems = []
    for error in exc.errors:
        where, _dot, column = error.field.rpartition(".")
        if where.startswith("line ") and column in GRID_COLUMNS:
            problems.append(
                translate(GRID_LINE)
                % {
                    "line": where.removeprefix("line "),
                    "column": column,
                    "expected": translate(GRID_COLUMNS[column]),
                }
            )
    return problems


def _grid_page(
    request: Request,
    db: Db,
    *,
    text: str = "",
    error: str = "",
    problems: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    _ = speaker(request).gettext
    rows = paygrids.grid_rows(db)
    return render(
        request,
        "office/paygrid.html",
        {
            "title": _("Grille des salaires minima"),
            "rows": rows,
            "example": any(paygrids.EXAMPLE_MARK in fold(r.source) for r in rows),
            "text": text,
            "errors": {"": error} if error else {},
            "problems": problems or [],
            "notice": notice(request),
        },
        status_code=status_code,
    )


@router.get("/bureau/grille")
def grid_page(request: Request, db: Db, viewer: StaffViewer) -> Response:
    """The grid the minimum-pay check uses, and a form to replace it."""
    return _grid_page(request, db)


@router.post("/bureau/grille")
def load_grid(request: Request, form: Posted, db: Db, viewer: StaffViewer) -> Response:
    """Replace the grid with an uploaded or pasted CSV: every row or none."""
    check_csrf(form, viewer.csrf_token)
    _ = speaker(request).gettext
    upload = form.get("grid_file")
    text = str(form.get("grid_text") or "")
    if isinstance(upload, UploadFile):
        try:
            raw = upload.file.read() if upload.filename else b""
        finally:
            upload.file.close()
        try:
            text = raw.decode("utf-8-sig") if raw else text
        except UnicodeDecodeError:
            return _grid_page(request, db, error=_(NOT_UTF8), status_code=422)
    if not text.strip():
        return _grid_page(request, db, error=_(EMPTY_GRID), status_code=422)
    try:
        with db.begin_nested():
            paygrids.load_grid(db, actor=viewer.actor, text=text)
    except DomainError as exc:
        return _grid_page(
            request,
            db,
            text=text,
            error=problem_message(exc, _),
            problems=_grid_problems(exc, _),
            status_code=422,
        )
    return RedirectResponse("/bureau/grille?notice=saved", 303)


@router.get("/bureau/grille/exemple.csv")
def example_grid(viewer: StaffViewer) -> Response:
    """The shipped example: its figures are fictitious, to replace before loading."""
    return Response(
        paygrids.example_grid().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="grille-exemple.csv"'},
    )


@router.get("/bureau/modeles")
def templates_page(request: Request, db: Db, viewer: StaffViewer) -> Response:
    _ = speaker(request).gettext
    own = {name: documents.template_body(db, name)[1] for name in TEMPLATE_NAMES}
    return render(
        request,
        "office/templates.html",
        {
            "title": _("Modèles de documents"),
            "names": TEMPLATE_NAMES,
            "own": own,
            "notice": notice(request),
        },
    )


def _template_page(
    request: Request,
    db: Db,
    name: str,
    *,
    body: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    current, own = documents.template_body(db, name)
    _ = speaker(request).gettext
    return render(
        request,
        "office/template_edit.html",
        {
            "title": _("Modèle : %(name)s") % {"name": _(TEMPLATE_NAMES[name])},
            "name": name,
            "own": own,
            "body": current if body is None else body,
            "errors": errors or {},
            "notice": notice(request),
        },
        status_code=status_code,
    )


def _known(name: str) -> str:
    documents.default_body(name)  # 404 for a template that does not exist
    return name


@router.get("/bureau/modeles/{name}")
def template_page(name: str, request: Request, db: Db, viewer: StaffViewer) -> Response:
    return _template_page(request, db, _known(name))


@router.post("/bureau/modeles/{name}")
def save_template(
    name: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    """Keep the bureau's own version; one that does not compile is refused and shown again."""
    check_csrf(form, viewer.csrf_token)
    done = submit(
        request,
        form,
        BODY,
        TemplateBody,
        lambda data: documents.save_template(
            db, actor=viewer.actor, name=_known(name), body=data.body
        ),
        db=db,
    )
    if done.record is None:
        return _template_page(
            request,
            db,
            name,
            body=str(form.get("body") or ""),
            errors=done.errors,
            status_code=422,
        )
    return RedirectResponse(f"/bureau/modeles/{name}?notice=saved", 303)


@router.post("/bureau/modeles/{name}/reinitialiser")
def reset_template(
    name: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    """Go back to the template Archipel ships."""
    check_csrf(form, viewer.csrf_token)
    documents.reset_template(db, actor=viewer.actor, name=_known(name))
    return RedirectResponse(f"/bureau/modeles/{name}?notice=saved", 303)
